package dev.docmesh.orchestrator.engine;

import dev.docmesh.meshkit.concurrent.DaemonThreads;
import dev.docmesh.orchestrator.Failure;
import dev.docmesh.orchestrator.events.EventHub;
import dev.docmesh.orchestrator.metrics.OrchestratorMetrics;
import dev.docmesh.orchestrator.model.JobRecord;
import dev.docmesh.orchestrator.model.TaskRecord;
import dev.docmesh.orchestrator.store.DuplicateRequestException;
import dev.docmesh.orchestrator.store.GroupCommit;
import dev.docmesh.orchestrator.store.JobStore;
import dev.docmesh.orchestrator.store.StaleJobException;
import dev.docmesh.orchestrator.store.StoreException;
import dev.docmesh.orchestrator.store.StoreFailures;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commit, then publish: a job's uncommitted changes go to the store (under the engine's lock), and
 * whoever should learn of them (watchers, a poller, the caller) is told only once the commit is
 * durable ({@link GroupCommit}). When the store refuses, memory is reset to what the store holds,
 * so nothing unrecorded is ever reported.
 */
final class Committer {
  private static final Logger log = LoggerFactory.getLogger(Committer.class);

  private final JobStore store;
  private final GroupCommit commits;
  private final EventHub hub;
  private final OrchestratorMetrics metrics;
  private final JobTable jobs;
  private final ReadyQueue ready;
  private ReplicaSync replicas;

  /**
   * Runs the syncs that answer callers ({@link #whenDurable}): a thread of its own, so no stream's
   * work ever queues ahead of a durable answer.
   */
  private final ExecutorService syncer =
      Executors.newSingleThreadExecutor(DaemonThreads.factory("orchestrator-sync"));

  private final AtomicBoolean syncQueued = new AtomicBoolean();
  private final Queue<CommittedAction> committedActions = new ConcurrentLinkedQueue<>();
  private final ThreadLocal<Boolean> wroteSinceAnswer = ThreadLocal.withInitial(() -> false);

  /** An answer given once its write {@code write} is committed; {@code refuse} if it was lost. */
  private record CommittedAction(long write, Runnable answer, Consumer<Failure> refuse) {}

  private final JobTracing tracing;

  Committer(
      Object engineLock,
      Clock clock,
      JobStore store,
      GroupCommit commits,
      EventHub hub,
      OrchestratorMetrics metrics,
      JobTable jobs,
      ReadyQueue ready,
      JobTracing tracing) {
    this.tracing = tracing;
    this.store = store;
    this.commits = commits;
    this.hub = hub;
    this.metrics = metrics;
    this.jobs = jobs;
    this.ready = ready;
    // A commit of a group of writes failed: their jobs are reset to what the store holds.
    store.onLostJobs(
        ids -> {
          synchronized (engineLock) {
            for (String id : ids) {
              JobRecord held = jobs.active(id);
              if (held != null) {
                reloadAfterFailedWrite(held, clock.instant());
              } else {
                store.load(id);
              }
            }
          }
        });
  }

  /**
   * Several replicas on one store: a save refused as stale reloads the job through {@code
   * replicas}.
   */
  void replicated(ReplicaSync replicas) {
    this.replicas = replicas;
  }

  /** Stores a new job (under the lock); a {@link DuplicateRequestException} passes through. */
  void insert(JobRecord job) {
    try {
      store.insert(job);
    } catch (DuplicateRequestException e) {
      throw e;
    } catch (StoreException e) {
      throw unavailable(e);
    }
    wroteSinceAnswer.set(true);
    jobs.track(job);
    metrics.jobEntered(job.pipelineName(), stateLabel(job.state()));
    publishWhenDurable(job);
  }

  /**
   * Stores the job's uncommitted changes (under the lock); its events reach the watchers once
   * durable.
   */
  void commit(JobRecord job, Instant now) {
    try {
      store.save(job);
    } catch (StaleJobException e) {
      if (replicas == null) {
        reloadAfterFailedWrite(job, now);
        throw unavailable(e);
      }
      replicas.reloadAfterConflict(job);
      throw new ConcurrentChange(job.id());
    } catch (StoreException e) {
      reloadAfterFailedWrite(job, now);
      throw unavailable(e);
    }
    wroteSinceAnswer.set(true);
    jobs.track(job);
    if (job.isTerminal()) {
      metrics.jobFinished(
          job.pipelineName(),
          stateLabel(job.state()),
          Duration.between(job.createTime(), job.endTime()));
      tracing.ended(job.id(), stateLabel(job.state()));
    }
    if (job.changedState()) {
      metrics.jobEntered(job.pipelineName(), stateLabel(job.state()));
    }
    publishWhenDurable(job);
  }

  /** Runs {@code r} once everything committed so far is durable (not under the lock's wait). */
  void afterLastCommit(Runnable r) {
    commits.after(store.lastCommit(), r);
  }

  /**
   * Runs {@code answer} right after the engine's lock is released, once the change is committed
   * (not yet fsynced): for answers whose loss with the OS costs nothing but a repeat, e.g. a lease,
   * whose stale token is refused after such a loss. {@code refuse} instead when the commit failed.
   */
  void afterCommit(Runnable answer, Consumer<Failure> refuse) {
    committedActions.add(new CommittedAction(store.lastWriteOfThisThread(), answer, refuse));
  }

  /**
   * Commits this thread's writes (with whatever else is open: writes are grouped until a sync) and
   * runs what {@link #afterCommit} queued; by any thread once it has left the engine's lock.
   */
  void runCommitted() {
    boolean wrote = wroteSinceAnswer.get();
    wroteSinceAnswer.set(false);
    if (!wrote && committedActions.isEmpty()) {
      return;
    }
    Failure failed = null;
    try {
      store.flush();
    } catch (StoreException e) {
      failed = StoreFailures.of("the job store could not commit", e);
    }
    CommittedAction a;
    while ((a = committedActions.poll()) != null) {
      try {
        if (failed != null || commits.isLost(a.write, a.write)) {
          a.refuse.accept(
              failed != null
                  ? failed
                  : unavailable(new StoreException("the commit that held it failed", null)));
        } else {
          a.answer.run();
        }
      } catch (RuntimeException e) {
        log.error("action after commit failed", e);
      }
    }
    // A heartbeat's renewal lost with a failed commit is answered all the same: a lost renewal only
    // shortens the lease (and its job is reloaded from the file).
  }

  /**
   * {@code result}, once everything committed so far is durable: nobody is told of a change that
   * could still be lost.
   */
  <T> T afterDurable(T result) {
    awaitDurable();
    return result;
  }

  /**
   * {@code result}, once store write number {@code write} and those before it are durable: for a
   * reader that shows one job as of its last write ({@link JobRecord#lastWrite}), which need not
   * wait out the fsync of other jobs' later changes.
   */
  <T> T afterDurable(T result, long write) {
    awaitDurable(write);
    return result;
  }

  /**
   * {@code result}, once everything committed so far is durable, without holding this thread for
   * the fsync: the background sync ({@link #syncSoon}) completes it, or fails it with the store's
   * failure should a write of this thread's be lost or the sync fail. So no caller's thread waits
   * out a disk flush; concurrent changes share the one that follows them.
   */
  <T> CompletableFuture<T> whenDurable(T result) {
    wroteSinceAnswer.set(false); // committed by the sync
    runCommitted();
    CompletableFuture<T> answer = new CompletableFuture<>();
    commits.whenDurable(
        () -> answer.complete(result),
        e -> answer.completeExceptionally(StoreFailures.of("the job store could not sync", e)));
    syncSoon();
    return answer;
  }

  /**
   * Makes everything committed so far durable soon, on a background thread, for a caller that
   * answers without waiting (its events still reach the watchers only once durable). At most one
   * such sync is queued at a time; it covers every commit made before it starts.
   */
  void syncSoon() {
    if (syncQueued.compareAndSet(false, true)) {
      try {
        syncer.execute(this::syncNow);
      } catch (RejectedExecutionException closing) {
        syncNow(); // shutting down: the answers waiting for it still go out
      }
    }
  }

  private void syncNow() {
    syncQueued.set(false);
    try {
      commits.await();
    } catch (StoreException e) {
      // the answers waiting for this sync were refused with it; the next sync tries again
      log.warn("background sync of the job store failed: {}", e.getMessage());
    }
  }

  /**
   * Waits until everything committed so far is durable; call without holding the lock, so commits
   * share an fsync.
   */
  void awaitDurable() {
    awaitDurable(Long.MAX_VALUE);
  }

  /**
   * Waits until store write number {@code write} and those before it are durable ({@code
   * Long.MAX_VALUE}: everything committed so far); call without holding the lock.
   */
  void awaitDurable(long write) {
    if (write == Long.MAX_VALUE) {
      wroteSinceAnswer.set(false); // committed by the sync below
    }
    runCommitted();
    try {
      commits.await(write);
    } catch (StoreException e) {
      throw StoreFailures.of("the job store could not sync", e);
    }
  }

  /**
   * An event that is not stored (progress) goes to the watchers in order with the stored ones:
   * after every commit made so far is durable, before any later one, and with no write of its own.
   */
  void publishLive(JobRecord job, JobEvent event) {
    Job snapshot = hub.hasFirehose() ? job.toProto() : null;
    String id = job.id();
    Map<String, String> labels = job.labels();
    afterLastCommit(() -> hub.publish(id, labels, List.of(event), snapshot));
  }

  /**
   * The just-committed events go to the watchers once durable; the job is snapshotted now, as it
   * was then.
   */
  private void publishWhenDurable(JobRecord job) {
    // the number of this very write: should its commit fail, exactly its events are dropped
    long write = store.lastWriteOfThisThread();
    List<JobEvent> events = job.markCommitted(write);
    Job snapshot = hub.hasFirehose() ? job.toProto() : null;
    String id = job.id();
    Map<String, String> labels = job.labels();
    commits.after(write, () -> hub.publish(id, labels, events, snapshot));
  }

  private void reloadAfterFailedWrite(JobRecord stale, Instant now) {
    log.error("store write for {} failed; reloading it from the store", stale.id());
    for (TaskRecord t : stale.tasks()) {
      ready.remove(t);
    }
    jobs.forget(stale.id());
    store
        .load(stale.id())
        .filter(j -> !j.isTerminal())
        .ifPresent(
            j -> {
              jobs.track(j);
              for (TaskRecord t : j.tasks()) {
                if (t.is(TaskState.TASK_STATE_READY)) {
                  ready.add(t, j.priority(), now);
                }
              }
            });
  }

  private static Failure unavailable(StoreException e) {
    return StoreFailures.of("the job store could not commit", e);
  }

  static String stateLabel(JobState s) {
    return s.name().substring("JOB_STATE_".length()).toLowerCase(Locale.ROOT);
  }

  /** Lets the syncs already asked for run (their answers go out), then stops the sync thread. */
  void close() {
    syncer.shutdown();
  }
}
