package dev.docmesh.orchestrator.engine;

import com.google.protobuf.ByteString;
import dev.docmesh.orchestrator.Failure;
import dev.docmesh.orchestrator.Ids;
import dev.docmesh.orchestrator.OrchestratorConfig;
import dev.docmesh.orchestrator.events.EventHub;
import dev.docmesh.orchestrator.events.FirehoseWatcher;
import dev.docmesh.orchestrator.events.JobWatcher;
import dev.docmesh.orchestrator.events.StreamSink;
import dev.docmesh.orchestrator.metrics.OrchestratorMetrics;
import dev.docmesh.orchestrator.metrics.OrchestratorMetrics.QueueSnapshot;
import dev.docmesh.orchestrator.model.JobRecord;
import dev.docmesh.orchestrator.model.StageOutputs;
import dev.docmesh.orchestrator.model.TaskRecord;
import dev.docmesh.orchestrator.store.BlobStore;
import dev.docmesh.orchestrator.store.DuplicateRequestException;
import dev.docmesh.orchestrator.store.GroupCommit;
import dev.docmesh.orchestrator.store.JobStore;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobError;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import dev.docmesh.proto.orchestrator.v1.WatchJobsResponse;
import dev.docmesh.proto.orchestrator.v1.WorkerInfo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job lifecycle: submit, cancel, the workers' heartbeats and results, watches. Every change
 * runs under this object's lock (SQLite has one writer anyway) and is committed with its events
 * ({@link Committer}); only once the commit is durable is anyone told: the caller's answer, the
 * watchers, a waiting poller. Public methods do their work under the lock and wait for durability
 * after releasing it, so concurrent changes share one fsync. Handing out tasks is the {@link
 * Dispatcher}'s, the time-driven work the {@link Sweeper}'s; the records decide the state
 * transitions.
 */
public final class JobEngine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JobEngine.class);
  private static final Duration QUEUE_FULL_RETRY = Duration.ofSeconds(5);

  private final OrchestratorConfig config;
  private final JobStore store;
  private final EventHub hub;
  private final OrchestratorMetrics metrics;
  private final Clock clock;
  private final ScheduledExecutorService timer;
  private final Executor streamExecutor;
  private final JobTable jobs;
  private final Committer committer;
  private final Dispatcher dispatcher;
  private final Sweeper sweeper;
  private final ReplicaSync replicas;

  /**
   * Other replicas share the store (postgres): memory is a cache of it, kept up by {@link
   * ReplicaSync}.
   */
  private boolean replicated;

  private static final int CONCURRENT_CHANGE_TRIES = 8;
  private final List<ScheduledFuture<?>> schedules = new ArrayList<>();
  private final JobTracing tracing;

  public JobEngine(
      OrchestratorConfig config,
      JobStore store,
      GroupCommit commits,
      BlobStore blobs,
      EventHub hub,
      OrchestratorMetrics metrics,
      Clock clock,
      ScheduledExecutorService timer,
      Executor streamExecutor) {
    this(
        config, store, commits, blobs, hub, metrics, clock, timer, streamExecutor, JobTracing.NONE);
  }

  public JobEngine(
      OrchestratorConfig config,
      JobStore store,
      GroupCommit commits,
      BlobStore blobs,
      EventHub hub,
      OrchestratorMetrics metrics,
      Clock clock,
      ScheduledExecutorService timer,
      Executor streamExecutor,
      JobTracing tracing) {
    this.tracing = tracing;
    this.config = config;
    this.store = store;
    this.hub = hub;
    this.metrics = metrics;
    this.clock = clock;
    this.timer = timer;
    this.streamExecutor = streamExecutor;
    ReadyQueue ready = new ReadyQueue();
    this.jobs = new JobTable(store);
    this.committer = new Committer(this, clock, store, commits, hub, metrics, jobs, ready, tracing);
    this.dispatcher =
        new Dispatcher(this, config, store, jobs, committer, ready, metrics, clock, timer);
    this.sweeper = new Sweeper(config, store, blobs, jobs, dispatcher, this::endAttempt);
    this.replicas = new ReplicaSync(this, store, jobs, dispatcher, hub, clock);
  }

  /** Loads the unfinished jobs and starts the lease sweeper and retention. */
  public synchronized JobEngine start() {
    // Listening starts before the load, so a change committed by another replica meanwhile is not
    // missed.
    // What another replica's change sets off here (a lease to a parked poll) is answered once
    // durable, as any change.
    JobStore.ReplicaChanges thenAnswer =
        new JobStore.ReplicaChanges() {
          @Override
          public void changed(String jobId, long version) {
            replicas.changed(jobId, version);
            committer.awaitDurable();
          }

          @Override
          public void resync() {
            replicas.resync();
            committer.awaitDurable();
          }
        };
    if (store.listen(thenAnswer)) {
      replicated = true;
      committer.replicated(replicas);
      dispatcher.replicated(replicas);
    }
    Instant now = clock.instant();
    for (JobRecord job : store.loadUnfinished()) {
      jobs.track(job);
      tracing.resumed(
          job.id(),
          job.pipelineName(),
          new JobTracing.TraceContext(job.traceparent(), job.tracestate()));
      for (TaskRecord t : job.tasks()) {
        if (t.is(TaskState.TASK_STATE_READY)) {
          dispatcher.index(job, t, now);
        }
        t.extendRestoredLease(now.plus(config.leaseDuration()));
      }
    }
    log.info(
        "engine started: {} unfinished jobs, {} pending tasks", jobs.size(), jobs.pendingTasks());
    long sweep = config.sweepInterval().toMillis();
    schedules.add(
        timer.scheduleWithFixedDelay(
            () -> safely("lease sweep", this::sweep), sweep, sweep, TimeUnit.MILLISECONDS));
    long retention = config.retentionSweepInterval().toMillis();
    schedules.add(
        timer.scheduleWithFixedDelay(
            () -> safely("retention", this::expireRetention),
            Math.min(retention, 10_000),
            retention,
            TimeUnit.MILLISECONDS));
    return this;
  }

  // ---------------------------------------------------------------- jobs

  /**
   * The job made for {@code spec}, or the one an earlier submit by the same owner with the same
   * request id made.
   */
  public CompletableFuture<SubmitResult> submit(NewJob spec) {
    return committer.whenDurable(retrying(() -> submitLocked(spec)));
  }

  /**
   * Refuses a submit of {@code stages} stages that the backlog limit would refuse, before its
   * document is stored: a refused submit costs no blob write and no fsync. The same rule as {@link
   * #submit} (which checks again, since the backlog may grow meanwhile), so a retry of an accepted
   * request_id passes and gets its job; the store is asked only when the backlog is full. Not under
   * the engine's lock: it only reads (the store's writer sees every write; the count is volatile),
   * and 32 concurrent submitters queued on the lock twice per submit.
   */
  public void admit(String owner, String requestId, int stages) {
    try {
      checkBacklog(stages);
    } catch (Failure.Backlog full) {
      if (acceptedBefore(owner, requestId).isEmpty()) {
        throw full;
      }
    }
  }

  /** The job an earlier submit by {@code owner} with {@code requestId} made, if any. */
  private Optional<String> acceptedBefore(String owner, String requestId) {
    return requestId.isEmpty() ? Optional.empty() : store.jobIdForRequest(owner, requestId);
  }

  private synchronized SubmitResult submitLocked(NewJob spec) {
    // A request id seen before is found by the store's unique key when the job is inserted
    // (DuplicateRequestException below), so a submit costs no lookup of its own; only a full
    // backlog asks first, for a retry of an accepted request still gets its job then.
    try {
      checkBacklog(spec.topologicalStages().size());
    } catch (Failure.Backlog full) {
      Optional<String> existing = acceptedBefore(spec.owner(), spec.requestId());
      if (existing.isEmpty()) {
        throw full;
      }
      return new SubmitResult(record(existing.get()).toProto(), true);
    }
    Instant now = clock.instant();
    String jobId = Ids.newJobId(now);
    // the job's own span; its context is what the job stores and its tasks carry
    JobTracing.TraceContext trace =
        tracing.submitted(
            jobId,
            spec.pipelineName(),
            new JobTracing.TraceContext(spec.traceparent(), spec.tracestate()));
    JobRecord job =
        new JobRecord(
            jobId,
            spec.pipelineName(),
            spec.pipeline(),
            spec.topologicalStages(),
            spec.document(),
            spec.labels(),
            spec.priority(),
            spec.requestId(),
            now,
            trace.traceparent(),
            trace.tracestate(),
            spec.password(),
            spec.owner());
    List<TaskRecord> roots = job.create(now);
    try {
      committer.insert(job);
    } catch (DuplicateRequestException e) {
      // A concurrent submit with the same request id (another replica) made the job first.
      tracing.ended(jobId, "not_stored");
      return new SubmitResult(record(e.existingJobId()).toProto(), true);
    } catch (RuntimeException e) {
      tracing.ended(jobId, "not_stored");
      throw e;
    }
    for (TaskRecord t : roots) {
      dispatcher.dispatch(job, t, now);
    }
    return new SubmitResult(job.toProto(), false);
  }

  private void checkBacklog(int stages) {
    int pending = jobs.pendingTasks();
    if (pending + stages > config.maxPendingTasks()) {
      throw Failure.Backlog.queueFull(
          "the orchestrator holds "
              + pending
              + " unfinished tasks (limit "
              + config.maxPendingTasks()
              + "); retry later",
          QUEUE_FULL_RETRY);
    }
  }

  public record SubmitResult(Job job, boolean deduplicated) {}

  public Job job(String jobId) {
    JobSnapshot s = jobLocked(jobId);
    return committer.afterDurable(s.job(), s.lastWrite());
  }

  /** A job as held, and the store write it waits for before it is shown. */
  private record JobSnapshot(Job job, long lastWrite) {}

  private synchronized JobSnapshot jobLocked(String jobId) {
    JobRecord r = record(jobId);
    return new JobSnapshot(r.toProto(), r.lastWrite());
  }

  private JobRecord record(String jobId) {
    return find(jobId, "job", jobId);
  }

  /**
   * The job from memory; else from the store (with several replicas, one not yet notified is taken
   * up).
   */
  private JobRecord find(String jobId, String resourceType, String name) {
    JobRecord held = jobs.active(jobId);
    if (held != null) {
      return held;
    }
    JobRecord loaded = jobs.find(jobId, resourceType, name);
    return replicated ? replicas.adopt(loaded) : loaded;
  }

  /** Runs a change; when another replica changed the job first, decides again on the stored job. */
  private <T> T retrying(java.util.function.Supplier<T> change) {
    for (int i = 1; ; i++) {
      try {
        return change.get();
      } catch (ConcurrentChange e) {
        if (i == CONCURRENT_CHANGE_TRIES) {
          throw new Failure.Unavailable("the job keeps changing through other replicas; retry", e);
        }
      }
    }
  }

  /** Stored outputs of a job, by stage: encoded StageOutputs (see {@link StageOutputs}). */
  public Map<String, ByteString> outputs(String jobId) {
    return store.outputs(jobId);
  }

  public Job cancel(String jobId, String reason) {
    return committer.afterDurable(retrying(() -> cancelLocked(jobId, reason)));
  }

  private synchronized Job cancelLocked(String jobId, String reason) {
    JobRecord job = record(jobId);
    if (job.isTerminal()) {
      return job.toProto();
    }
    Instant now = clock.instant();
    JobError err =
        JobError.newBuilder()
            .setCode("CANCELLED")
            .setReason("CANCELLED")
            .setMessage(reason.isEmpty() ? "cancelled by a client" : reason)
            .build();
    List<TaskRecord> wereLeased = job.cancel(err, now);
    committer.commit(job, now);
    ended(job, wereLeased);
    return job.toProto();
  }

  /** An ending job's tasks leave the READY index; the leased ones count as cancelled. */
  private void ended(JobRecord job, List<TaskRecord> wereLeased) {
    dispatcher.withdraw(job);
    for (TaskRecord t : wereLeased) {
      metrics.taskEnded(t.processor(), "cancelled");
    }
  }

  // ---------------------------------------------------------------- task queue

  /**
   * Answers now with the best READY task, offered with up to {@code maxFollowOns} follow-on stages,
   * or parks the call until one is ready or the wait ends (zero: the configured default).
   */
  public void poll(
      String workerId,
      List<String> processors,
      Duration requestedWait,
      int slotsTotal,
      int slotsBusy,
      int maxFollowOns,
      String peer,
      Instant callDeadline,
      PollReply reply) {
    Duration wait = requestedWait.isZero() ? config.pollWait() : requestedWait;
    dispatcher.poll(
        workerId, processors, wait, slotsTotal, slotsBusy, maxFollowOns, peer, callDeadline, reply);
  }

  /** A lease as a heartbeat leaves it: when it expires, and whether the worker should stop. */
  public record Lease(Instant expireTime, boolean cancelRequested) {}

  /**
   * Extends the lease of a task; {@code progress} (may be null) is the task's own, or, named by
   * {@code progressStage}, that of a follow-on stage the worker runs under this lease.
   */
  public Lease heartbeat(
      String taskId, String leaseToken, Progress progress, String progressStage) {
    if (!progressStage.isEmpty() && !Ids.isStageName(progressStage)) {
      throw new Failure.InvalidArgument("progress_stage", "not a stage name");
    }
    Lease lease = retrying(() -> heartbeatLocked(taskId, leaseToken, progress, progressStage));
    // Answered without waiting for the fsync: a renewal lost with the OS only shortens the lease
    // (the worker's token then turns stale). Its progress event reaches watchers once a background
    // fsync covers the commits before it (it is ordered after them; it is not stored itself).
    // On PostgreSQL the renewal is committed (visible to every replica, the version check passed)
    // before this answer.
    committer.runCommitted();
    committer.syncSoon();
    return lease;
  }

  private synchronized Lease heartbeatLocked(
      String taskId, String leaseToken, Progress progress, String progressStage) {
    Located l = locate(taskId, leaseToken);
    if (l.cancelled()) {
      return new Lease(l.task.leaseExpire(), true);
    }
    Instant now = clock.instant();
    JobEvent progressed;
    if (progressStage.isEmpty()) {
      progressed = l.job.renewLease(l.task, now.plus(config.leaseDuration()), progress, now);
    } else {
      TaskRecord followOn = l.job.task(progressStage);
      if (followOn == null) {
        throw new Failure.InvalidArgument(
            "progress_stage", "job " + l.job.id() + " has no stage " + progressStage);
      }
      l.job.renewLease(l.task, now.plus(config.leaseDuration()), null, now);
      // A follow-on's progress counts while it waits on this lease; once recorded it has no more.
      progressed =
          progress != null && followOn.is(TaskState.TASK_STATE_BLOCKED)
              ? l.job.progressed(followOn, progress, now)
              : null;
    }
    // The renewal is written only once a third of the stored lease has passed: the sweeper reads
    // memory, a restart gives every restored lease a full term, and other replicas (postgres),
    // which
    // read the stored expiry, still see one at least two thirds of a lease ahead. So a worker that
    // relays progress every 50 ms costs no write per heartbeat.
    Duration leaseLeft = Duration.between(now, l.task.storedLeaseExpire());
    if (leaseLeft.compareTo(config.leaseDuration().multipliedBy(2).dividedBy(3)) < 0) {
      committer.commit(l.job, now);
    }
    if (progressed != null) {
      committer.publishLive(l.job, progressed);
    }
    return new Lease(l.task.leaseExpire(), false);
  }

  /**
   * Records a task's output, an encoded StageOutput; the job's state after it, once durable (a
   * refused change throws at once).
   */
  public CompletableFuture<JobState> complete(String taskId, String leaseToken, ByteString output) {
    return complete(taskId, leaseToken, output, null);
  }

  /**
   * The worker's next task, asked for with a completion: a poll with no wait, answered to {@code
   * reply}.
   */
  public record NextPoll(
      String workerId,
      List<String> processors,
      int slotsTotal,
      int slotsBusy,
      int maxFollowOns,
      String peer,
      PollReply reply) {}

  /** The output of a follow-on stage (Task.follow_ons) run under a completed task's lease. */
  public record FollowOnOutput(String taskId, ByteString output) {}

  /**
   * As {@link #complete(String, String, ByteString)}, then, when {@code next} is given, leases the
   * worker's next task for it: the lease is committed with the completion (one store transaction,
   * one fsync for both). A refused completion leases nothing.
   */
  public CompletableFuture<JobState> complete(
      String taskId, String leaseToken, ByteString output, NextPoll next) {
    return complete(taskId, leaseToken, output, List.of(), next);
  }

  /**
   * As above, also recording the outputs of the follow-on stages the worker ran after the task, in
   * the same change: each that still waits on this completion is LEASED to the task's worker and
   * SUCCEEDED at once; the others are ignored.
   */
  public CompletableFuture<JobState> complete(
      String taskId,
      String leaseToken,
      ByteString output,
      List<FollowOnOutput> followOns,
      NextPoll next) {
    StageOutputs.check(output); // outside the lock: it reads the whole output
    Map<String, ByteString> byStage = checkFollowOns(taskId, followOns);
    JobState state = retrying(() -> completeLocked(taskId, leaseToken, output, byStage));
    if (next != null) {
      try {
        dispatcher.poll(
            next.workerId(),
            next.processors(),
            Duration.ZERO,
            next.slotsTotal(),
            next.slotsBusy(),
            next.maxFollowOns(),
            next.peer(),
            null,
            next.reply());
      } catch (RuntimeException e) {
        next.reply().fail(e); // the completion stands whatever happens to the next lease
      }
    }
    return committer.whenDurable(state);
  }

  /**
   * A task leased to a caller whose answer could not be sent: READY again at once, keeping its
   * attempt and its place in the queue, instead of waiting for its lease to expire.
   */
  public void handBackUndelivered(String jobId, String stage, String leaseToken) {
    dispatcher.takeBackLater(jobId, stage, leaseToken);
  }

  /**
   * The follow-on outputs by stage, in the order given, each checked to be a valid output of a
   * distinct other task of the same job.
   */
  private static Map<String, ByteString> checkFollowOns(
      String taskId, List<FollowOnOutput> followOns) {
    if (followOns.isEmpty()) {
      return Map.of();
    }
    Ids.TaskId task = Ids.checkTaskId("task_id", taskId);
    Map<String, ByteString> byStage = new LinkedHashMap<>();
    for (int i = 0; i < followOns.size(); i++) {
      String field = "follow_on_outputs[" + i + "]";
      Ids.TaskId f = Ids.checkTaskId(field + ".task_id", followOns.get(i).taskId());
      if (!f.jobId().equals(task.jobId())
          || f.stage().equals(task.stage())
          || byStage.containsKey(f.stage())) {
        throw new Failure.InvalidArgument(
            field + ".task_id",
            "not a follow-on of " + taskId + ": another stage of its job, each once");
      }
      StageOutputs.check(field + ".output", followOns.get(i).output());
      byStage.put(f.stage(), followOns.get(i).output());
    }
    return byStage;
  }

  private synchronized JobState completeLocked(
      String taskId, String leaseToken, ByteString output, Map<String, ByteString> followOns) {
    Located l = locate(taskId, leaseToken);
    if (l.cancelled()) {
      return l.job.state();
    }
    Instant now = clock.instant();
    List<TaskRecord> unblocked = new ArrayList<>(l.job.complete(l.task, output, now));
    List<TaskRecord> ran = new ArrayList<>();
    for (Map.Entry<String, ByteString> followOn : followOns.entrySet()) {
      TaskRecord f = l.job.task(followOn.getKey());
      if (f == null || !unblocked.remove(f)) {
        continue; // not waiting on this completion (any more): it runs, or ran, on its own
      }
      l.job.lease(f, l.task.workerId(), Ids.newLeaseToken(), l.task.leaseExpire(), now);
      unblocked.addAll(l.job.complete(f, followOn.getValue(), now));
      ran.add(f);
    }
    committer.commit(l.job, now);
    metrics.taskEnded(l.task.processor(), "succeeded");
    for (TaskRecord f : ran) {
      metrics.taskStarted(f.processor(), Duration.ZERO);
      metrics.taskEnded(f.processor(), "succeeded");
    }
    for (TaskRecord next : unblocked) {
      dispatcher.dispatch(l.job, next, now);
    }
    return l.job.state();
  }

  /**
   * Records a failed attempt; when the task is retried, or empty when it is not, once durable (a
   * refused change throws at once).
   */
  public CompletableFuture<Optional<Instant>> fail(
      String taskId, String leaseToken, JobError error, boolean retryable) {
    return committer.whenDurable(retrying(() -> failLocked(taskId, leaseToken, error, retryable)));
  }

  private synchronized Optional<Instant> failLocked(
      String taskId, String leaseToken, JobError error, boolean retryable) {
    Located l = locate(taskId, leaseToken);
    if (l.cancelled()) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    JobError.Builder err = error.toBuilder().setStage(l.task.name());
    if (err.getCode().isEmpty()) {
      err.setCode("UNKNOWN");
    }
    if (err.getReason().isEmpty()) {
      err.setReason("PROCESSOR_FAILED");
    }
    boolean retry = retryable && l.task.hasAttemptsLeft();
    Instant retryAt = retry ? now.plus(l.task.backoffAfter(l.task.attempt())) : null;
    endAttempt(l.job, l.task, err.build(), retryAt, now, retry ? "retried" : "failed");
    return Optional.ofNullable(retryAt);
  }

  /**
   * The current attempt ended without output: READY again at {@code retryAt} with attempt + 1, or,
   * when {@code retryAt} is null, the task fails for good and so does its job.
   */
  private void endAttempt(
      JobRecord job, TaskRecord t, JobError err, Instant retryAt, Instant now, String outcome) {
    if (retryAt != null) {
      job.retry(t, err, retryAt);
      committer.commit(job, now);
      metrics.taskEnded(t.processor(), outcome);
      dispatcher.dispatch(job, t, now);
      return;
    }
    List<TaskRecord> wereLeased = job.fail(t, err, now);
    committer.commit(job, now);
    metrics.taskEnded(t.processor(), outcome);
    ended(job, wereLeased);
  }

  private record Located(JobRecord job, TaskRecord task) {
    boolean cancelled() {
      return job.isTerminal() || task.is(TaskState.TASK_STATE_CANCELLED);
    }
  }

  /**
   * The task a worker names, if its lease token is the current one; else LeaseStale and nothing
   * changes.
   */
  private Located locate(String taskId, String token) {
    Ids.TaskId id = Ids.checkTaskId("task_id", taskId);
    if (token.isEmpty()) {
      throw new Failure.InvalidArgument("lease_token", "required");
    }
    if (replicated) {
      JobRecord held = jobs.active(id.jobId());
      TaskRecord t = held == null ? null : held.task(id.stage());
      if (t != null && !token.equals(t.leaseToken())) {
        // The lease may come from another replica whose change has not reached this one yet.
        replicas.reload(id.jobId());
      }
    }
    JobRecord job = find(id.jobId(), "task", taskId);
    TaskRecord t = job.task(id.stage());
    if (t == null) {
      throw new Failure.NotFound("task", taskId);
    }
    if (!token.equals(t.leaseToken())) {
      throw new Failure.LeaseStale(
          taskId,
          "its lease token is not the current one (the lease expired and the task was handed out again)");
    }
    Located l = new Located(job, t);
    if (!l.cancelled() && !t.is(TaskState.TASK_STATE_LEASED)) {
      throw new Failure.LeaseStale(
          taskId,
          "it is " + t.state().name().substring("TASK_STATE_".length()) + ", no longer leased");
    }
    return l;
  }

  // ---------------------------------------------------------------- time-driven work

  private static void safely(String what, Runnable work) {
    try {
      work.run();
    } catch (RuntimeException e) {
      log.error(what + " failed", e);
    }
  }

  /**
   * Expired leases go back to READY (or fail the task when its attempts are used up); ended
   * backoffs dispatch.
   */
  public void sweep() {
    synchronized (this) {
      sweeper.sweep(clock.instant());
    }
    committer.awaitDurable();
  }

  /**
   * Deletes finished jobs and unused documents older than the retention; returns the documents
   * removed.
   */
  public List<String> expireRetention() {
    List<String> docs;
    synchronized (this) {
      docs = sweeper.expireRetention(clock.instant());
    }
    return committer.afterDurable(docs);
  }

  // ---------------------------------------------------------------- watching

  /**
   * Streams the job's events after {@code afterSequence}: stored ones first, then live ones until
   * the job ends.
   */
  public void watch(String jobId, long afterSequence, StreamSink<WatchJobResponse> sink) {
    JobWatcher w;
    long replayedWrite;
    synchronized (this) {
      JobRecord job = record(jobId);
      replayedWrite = job.lastWrite();
      if (job.isTerminal() && afterSequence >= job.lastSequence()) {
        sink.end();
        return;
      }
      JobWatcher[] self = new JobWatcher[1];
      w =
          new JobWatcher(
              sink,
              streamExecutor,
              jobId,
              store,
              afterSequence,
              job.lastSequence(),
              () -> hub.remove(self[0]));
      self[0] = w;
      if (!job.isTerminal()) {
        hub.add(w);
      }
    }
    // The stored events it replays must be durable before they are sent.
    committer.awaitDurable(replayedWrite);
    w.start();
  }

  /** Streams the live events of every job that passes {@code filter}, each with its job. */
  public void watchAll(FirehoseWatcher.Filter filter, StreamSink<WatchJobsResponse> sink) {
    FirehoseWatcher[] self = new FirehoseWatcher[1];
    FirehoseWatcher w =
        new FirehoseWatcher(
            sink, streamExecutor, filter, config.watchMaxQueued(), () -> hub.remove(self[0]));
    self[0] = w;
    hub.add(w);
    w.start();
  }

  // ---------------------------------------------------------------- views

  public synchronized List<WorkerInfo> workers() {
    return dispatcher.workers();
  }

  public synchronized QueueSnapshot queueSnapshot() {
    return dispatcher.queueSnapshot();
  }

  /**
   * Waits until everything committed so far is durable (before answering from what the store
   * holds).
   */
  public void awaitDurable() {
    committer.awaitDurable();
  }

  /** Answers every parked poller with "no task" and stops the timers (shutdown). */
  @Override
  public synchronized void close() {
    schedules.forEach(f -> f.cancel(false));
    dispatcher.releaseAll();
    tracing.closeAll();
    committer.close();
  }
}
