package dev.docmesh.orchestrator.engine;

import dev.docmesh.orchestrator.Failure;
import dev.docmesh.orchestrator.model.JobRecord;
import dev.docmesh.orchestrator.model.TaskRecord;
import dev.docmesh.orchestrator.store.JobStore;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The unfinished jobs in memory and how many unfinished tasks they hold. Used under the engine's
 * lock.
 */
final class JobTable {
  private final JobStore store;
  private final Map<String, JobRecord> active = new LinkedHashMap<>();
  private final Map<String, Integer> unfinishedTasks = new HashMap<>();

  /**
   * Jobs with a leased task: the only ones whose leases and attempt timeouts the sweeper checks.
   */
  private final Map<String, JobRecord> leasing = new LinkedHashMap<>();

  /** Written under the engine's lock; read without it by the admission pre-check. */
  private volatile int pendingTasks;

  /**
   * Version and last event sequence of recently finished jobs (several replicas: a late
   * notification is not news).
   */
  private final Map<String, long[]> recentlyEnded =
      new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
          return size() > 10_000;
        }
      };

  JobTable(JobStore store) {
    this.store = store;
  }

  /** An unfinished job, or null. */
  JobRecord active(String jobId) {
    return active.get(jobId);
  }

  /**
   * An unfinished job from memory, a finished one from the store; else NotFound for {@code
   * resourceType} {@code name}.
   */
  JobRecord find(String jobId, String resourceType, String name) {
    JobRecord job = active.get(jobId);
    if (job != null) {
      return job;
    }
    return store.load(jobId).orElseThrow(() -> new Failure.NotFound(resourceType, name));
  }

  Collection<JobRecord> all() {
    return active.values();
  }

  /** Every unfinished job (a copy). */
  List<JobRecord> snapshot() {
    return List.copyOf(active.values());
  }

  /** The unfinished jobs that hold a leased task (a copy: the sweeper changes them as it goes). */
  List<JobRecord> withLeases() {
    return List.copyOf(leasing.values());
  }

  int size() {
    return active.size();
  }

  int pendingTasks() {
    return pendingTasks;
  }

  /** After a change of {@code job}: keeps it while unfinished, counts its unfinished tasks. */
  void track(JobRecord job) {
    if (job.isTerminal()) {
      forget(job.id());
      recentlyEnded.put(job.id(), new long[] {job.storeVersion(), job.lastSequence()});
      return;
    }
    active.put(job.id(), job);
    int n = 0;
    boolean leased = false;
    for (TaskRecord t : job.tasks()) {
      n += t.isTerminal() ? 0 : 1;
      leased |= t.is(TaskState.TASK_STATE_LEASED);
    }
    if (leased) {
      leasing.put(job.id(), job);
    } else {
      leasing.remove(job.id());
    }
    Integer before = unfinishedTasks.put(job.id(), n);
    pendingTasks += n - (before == null ? 0 : before);
  }

  /** The stored version memory reflects for the job; -1 when unknown. */
  long knownVersion(String jobId) {
    JobRecord job = active.get(jobId);
    if (job != null) {
      return job.storeVersion();
    }
    long[] ended = recentlyEnded.get(jobId);
    return ended == null ? -1 : ended[0];
  }

  /** The last event sequence of the job this replica published; 0 when unknown. */
  long knownSequence(String jobId) {
    JobRecord job = active.get(jobId);
    if (job != null) {
      return job.lastSequence();
    }
    long[] ended = recentlyEnded.get(jobId);
    return ended == null ? 0 : ended[1];
  }

  void forget(String jobId) {
    active.remove(jobId);
    leasing.remove(jobId);
    Integer before = unfinishedTasks.remove(jobId);
    pendingTasks -= before == null ? 0 : before;
  }
}
