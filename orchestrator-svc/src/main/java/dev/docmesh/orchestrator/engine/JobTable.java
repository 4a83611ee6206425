package dev.docmesh.orchestrator.engine;

import dev.docmesh.orchestrator.Failure;
import dev.docmesh.orchestrator.model.JobRecord;
import dev.docmesh.orchestrator.store.JobStore;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The unfinished jobs in memory and how many unfinished tasks they hold. Used under the engine's lock. */
final class JobTable {
  private final JobStore store;
  private final Map<String, JobRecord> active = new LinkedHashMap<>();
  private final Map<String, Integer> unfinishedTasks = new HashMap<>();
  private int pendingTasks;
  /** Version and last event sequence of recently finished jobs (several replicas: a late notification is not news). */
  private final Map<String, long[]> recentlyEnded = new LinkedHashMap<>(16, 0.75f, false) {
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

  /** An unfinished job from memory, a finished one from the store; else NotFound for {@code resourceType} {@code name}. */
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

  List<JobRecord> snapshot() {
    return List.copyOf(active.values());
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
    int n = (int) job.tasks().stream().filter(t -> !t.isTerminal()).count();
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
    Integer before = unfinishedTasks.remove(jobId);
    pendingTasks -= before == null ? 0 : before;
  }
}
