package dev.docmesh.orchestrator.engine;

import dev.docmesh.orchestrator.events.EventHub;
import dev.docmesh.orchestrator.model.JobRecord;
import dev.docmesh.orchestrator.model.TaskRecord;
import dev.docmesh.orchestrator.store.JobStore;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several replicas on one database (postgres): the database is the truth and each replica's memory
 * (jobs, READY index) a cache of it. When another replica commits a job, this one reloads it, tells
 * its watchers the events it has not seen (read from the store after the last sequence it knew, so
 * gap-free and in order) and hands its READY tasks to parked pollers. Runs under the engine's lock;
 * with one writer (SQLite) it is never called.
 */
final class ReplicaSync implements JobStore.ReplicaChanges {
  private static final Logger log = LoggerFactory.getLogger(ReplicaSync.class);
  private static final int EVENT_BATCH = 1000;

  private final Object lock;
  private final JobStore store;
  private final JobTable jobs;
  private final Dispatcher dispatcher;
  private final EventHub hub;
  private final Clock clock;

  ReplicaSync(
      Object lock,
      JobStore store,
      JobTable jobs,
      Dispatcher dispatcher,
      EventHub hub,
      Clock clock) {
    this.lock = lock;
    this.store = store;
    this.jobs = jobs;
    this.dispatcher = dispatcher;
    this.hub = hub;
    this.clock = clock;
  }

  @Override
  public void changed(String jobId, long version) {
    synchronized (lock) {
      if (version > jobs.knownVersion(jobId)) {
        apply(jobId, store.load(jobId).orElse(null)); // the feed flushed the log before telling
      }
    }
  }

  @Override
  public void resync() {
    synchronized (lock) {
      Set<String> ids = new HashSet<>();
      for (JobRecord j : store.loadUnfinished()) {
        ids.add(j.id());
        // Also when older than memory: the server lost the unflushed tail of its log (a restart);
        // the table is the truth.
        if (j.storeVersion() != jobs.knownVersion(j.id())) {
          apply(j.id(), j);
        }
      }
      for (JobRecord held : jobs.snapshot()) {
        if (!ids.contains(held.id())) {
          apply(held.id(), store.load(held.id()).orElse(null));
        }
      }
      log.info("resynced with the store: {} unfinished jobs", jobs.size());
    }
  }

  /** The claim taken under the lock and not yet given up (at most one: the lock is held). */
  private JobStore.Claim open;

  /**
   * A poll: the best task no other replica is leasing right now (the store's claim, SKIP LOCKED),
   * as memory holds it; null when none. The claim stays open for the lease's save. A claimed job
   * memory is behind on (not notified yet, e.g. submitted through another replica a moment ago) is
   * given up, reloaded, and the claim taken again: the reload may itself hand READY tasks to parked
   * polls, which claim them.
   */
  TaskRecord claimNext(Collection<String> processors, Instant now) {
    releaseClaim();
    for (int i = 0; i < 3; i++) {
      JobStore.Claim c = store.claimNext(processors, now).orElse(null);
      if (c == null) {
        return null;
      }
      JobRecord held = jobs.active(c.jobId());
      if (held == null || held.storeVersion() != c.version()) {
        c.close();
        reload(c.jobId());
        continue;
      }
      TaskRecord t = held.task(c.stage());
      if (t != null && t.is(TaskState.TASK_STATE_READY)) {
        open = c;
        return t;
      }
      // The store's index disagrees with the job's row, its truth (tasks.ready of a row written by
      // a replica older than the claims): the job's task rows are written again from the record,
      // in the claim's transaction.
      log.warn(
          "task index of {} disagreed with its job (version {}); rewritten",
          c.jobId(),
          c.version());
      store.save(held);
    }
    return null;
  }

  /**
   * A task that became READY, about to go to a parked poll: true when it is claimed for the lease's
   * save; false when another replica holds its job (it may be leasing this very task) or memory is
   * behind the store (the notification follows, and with it the dispatch of what is READY then).
   */
  boolean claim(JobRecord job, TaskRecord t) {
    releaseClaim();
    if (job == null) {
      return false;
    }
    JobStore.Claim c = store.claim(job.id(), t.name()).orElse(null);
    if (c == null) {
      return false;
    }
    open = c;
    if (c.version() != job.storeVersion()) {
      releaseClaim();
      return false;
    }
    return true;
  }

  /** Gives up a claim that no save used (a no-op after the lease's save committed it). */
  void releaseClaim() {
    if (open != null) {
      JobStore.Claim c = open;
      open = null;
      c.close();
    }
  }

  /** Reads the job as stored now and brings memory up to it (under the lock). */
  void reload(String jobId) {
    JobRecord fresh = store.load(jobId).orElse(null);
    durable();
    apply(jobId, fresh);
  }

  /**
   * Another replica's commit is visible before it is durable (see PostgresJobStore): flush the log
   * past what was just read before anyone here is told of it.
   */
  private void durable() {
    store.sync();
  }

  /**
   * A job this replica does not hold, just read from the store (a call named it before its
   * notification arrived): an unfinished one is taken up as if notified; a finished one is only
   * read.
   */
  JobRecord adopt(JobRecord loaded) {
    if (!loaded.isTerminal() && loaded.storeVersion() > jobs.knownVersion(loaded.id())) {
      durable();
      apply(loaded.id(), loaded);
      JobRecord held = jobs.active(loaded.id());
      return held != null ? held : loaded;
    }
    return loaded;
  }

  /**
   * After a refused save: memory drops the stale record (its unwritten events with it) and takes
   * the stored one.
   */
  void reloadAfterConflict(JobRecord stale) {
    long committedSequence = stale.lastSequence() - stale.uncommittedEvents().size();
    JobRecord fresh = store.load(stale.id()).orElse(null);
    durable();
    apply(stale.id(), fresh, committedSequence);
  }

  private void apply(String jobId, JobRecord fresh) {
    apply(jobId, fresh, jobs.knownSequence(jobId));
  }

  /** {@code seenSequence}: the last event of the job this replica's watchers were given. */
  private void apply(String jobId, JobRecord fresh, long seenSequence) {
    JobRecord held = jobs.active(jobId);
    if (held != null) {
      dispatcher.withdraw(held);
    }
    if (fresh == null) { // removed by retention
      jobs.forget(jobId);
      return;
    }
    jobs.track(fresh);
    publishAfter(fresh, seenSequence);
    if (fresh.isTerminal()) {
      return;
    }
    Instant now = clock.instant();
    for (TaskRecord t : fresh.tasks()) {
      // A delivery below may itself meet a newer version and reload the job: then stop here.
      if (jobs.active(jobId) != fresh) {
        return;
      }
      if (t.is(TaskState.TASK_STATE_READY)) {
        dispatcher.dispatch(fresh, t, now);
      }
    }
  }

  private void publishAfter(JobRecord job, long seenSequence) {
    long after = seenSequence;
    while (after < job.lastSequence()) {
      long until = job.lastSequence();
      // Events committed after the load are the next reload's (the notification for them follows).
      List<JobEvent> events =
          store.events(job.id(), after, EVENT_BATCH).stream()
              .filter(e -> e.getSequence() <= until)
              .toList();
      if (events.isEmpty()) {
        return;
      }
      hub.publish(job.id(), job.labels(), events, hub.hasFirehose() ? job.toProto() : null);
      after = events.get(events.size() - 1).getSequence();
    }
  }
}
