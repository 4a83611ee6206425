package dev.docmesh.orchestrator.engine;

import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.orchestrator.Ids;
import dev.docmesh.orchestrator.OrchestratorConfig;
import dev.docmesh.orchestrator.events.EventHub;
import dev.docmesh.orchestrator.events.FirehoseWatcher;
import dev.docmesh.orchestrator.events.JobWatcher;
import dev.docmesh.orchestrator.metrics.OrchestratorMetrics;
import dev.docmesh.orchestrator.metrics.OrchestratorMetrics.QueueSnapshot;
import dev.docmesh.orchestrator.model.JobRecord;
import dev.docmesh.orchestrator.model.Protos;
import dev.docmesh.orchestrator.model.TaskRecord;
import dev.docmesh.orchestrator.store.BlobStore;
import dev.docmesh.orchestrator.store.GroupCommit;
import dev.docmesh.orchestrator.store.JobStore;
import dev.docmesh.orchestrator.store.StoreException;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskRequest;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskResponse;
import dev.docmesh.proto.orchestrator.v1.FailTaskRequest;
import dev.docmesh.proto.orchestrator.v1.FailTaskResponse;
import dev.docmesh.proto.orchestrator.v1.HeartbeatRequest;
import dev.docmesh.proto.orchestrator.v1.HeartbeatResponse;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobError;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.PollTaskResponse;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import dev.docmesh.proto.orchestrator.v1.WatchJobsRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobsResponse;
import dev.docmesh.proto.orchestrator.v1.WorkerInfo;
import dev.docmesh.proto.processor.v1.UpstreamOutput;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job lifecycle and the task queue. Every change runs under this object's lock (SQLite has
 * one writer anyway) and is committed to the {@link JobStore} with its events; only once the
 * commit is durable ({@link GroupCommit}) is anyone told: the caller's answer, the watchers,
 * a waiting poller. Public methods do their work under the lock and wait for durability
 * after releasing it, so concurrent changes share one fsync.
 *
 * <p>Memory holds the unfinished jobs (rebuilt from the store at start-up), the READY index
 * and the waiting pollers; a task that becomes READY is handed straight to a waiting poller.
 */
public final class JobEngine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JobEngine.class);
  /** Answer a long poll this long before the client's deadline, so the empty answer arrives in time. */
  private static final Duration DEADLINE_MARGIN = Duration.ofMillis(500);
  private static final Duration QUEUE_FULL_RETRY = Duration.ofSeconds(5);

  private final OrchestratorConfig config;
  private final JobStore store;
  private final BlobStore blobs;
  private final GroupCommit commits;
  private final EventHub hub;
  private final OrchestratorMetrics metrics;
  private final Clock clock;
  private final ScheduledExecutorService timer;
  private final Executor streamExecutor;
  private final Map<String, JobRecord> active = new LinkedHashMap<>();
  private final ReadyQueue ready = new ReadyQueue();
  private final List<PollWaiter> waiters = new ArrayList<>();
  private final WorkerRegistry workers = new WorkerRegistry();
  private final Map<String, Integer> unfinishedTasks = new HashMap<>();
  private int pendingTasks;
  private final List<ScheduledFuture<?>> schedules = new ArrayList<>();

  public JobEngine(OrchestratorConfig config, JobStore store, GroupCommit commits, BlobStore blobs, EventHub hub,
      OrchestratorMetrics metrics, Clock clock, ScheduledExecutorService timer, Executor streamExecutor) {
    this.config = config;
    this.store = store;
    this.commits = commits;
    this.blobs = blobs;
    this.hub = hub;
    this.metrics = metrics;
    this.clock = clock;
    this.timer = timer;
    this.streamExecutor = streamExecutor;
  }

  /** Loads the unfinished jobs and starts the lease sweeper and retention. */
  public synchronized JobEngine start() {
    Instant now = clock.instant();
    for (JobRecord job : store.loadUnfinished()) {
      active.put(job.id, job);
      countUnfinished(job);
      for (TaskRecord t : job.tasks()) {
        if (t.state == TaskState.TASK_STATE_READY) {
          ready.add(t, job.priority, now);
        }
        // its worker may be alive and beating into the outage: give it one lease to reach us again
        if (t.state == TaskState.TASK_STATE_LEASED && t.leaseExpire.isBefore(now.plus(config.leaseDuration()))) {
          t.leaseExpire = now.plus(config.leaseDuration());
        }
      }
    }
    log.info("engine started: {} unfinished jobs, {} pending tasks", active.size(), pendingTasks);
    long sweep = config.sweepInterval().toMillis();
    schedules.add(timer.scheduleWithFixedDelay(this::sweepSafely, sweep, sweep, TimeUnit.MILLISECONDS));
    long retention = config.retentionSweepInterval().toMillis();
    schedules.add(timer.scheduleWithFixedDelay(this::expireSafely, Math.min(retention, 10_000), retention, TimeUnit.MILLISECONDS));
    return this;
  }

  // ---------------------------------------------------------------- jobs

  /** The job made for {@code spec}, or the one an earlier submit with the same request id made. */
  public SubmitResult submit(NewJob spec) {
    return afterDurable(submitLocked(spec));
  }

  private synchronized SubmitResult submitLocked(NewJob spec) {
    if (!spec.requestId().isEmpty()) {
      Optional<String> existing = store.jobIdForRequest(spec.requestId());
      if (existing.isPresent()) {
        return new SubmitResult(record(existing.get()).toProto(), true);
      }
    }
    if (pendingTasks + spec.topologicalStages().size() > config.maxPendingTasks()) {
      throw Errors.resourceExhausted("QUEUE_FULL",
          "the orchestrator holds " + pendingTasks + " unfinished tasks (limit " + config.maxPendingTasks() + "); retry later",
          QUEUE_FULL_RETRY);
    }
    Instant now = clock.instant();
    JobRecord job = new JobRecord(Ids.newJobId(now), spec.pipelineName(), spec.pipeline(), spec.topologicalStages(),
        spec.document(), spec.labels(), spec.priority(), spec.requestId(), now, spec.traceparent(), spec.tracestate(),
        spec.password());
    job.created(now);
    List<TaskRecord> roots = new ArrayList<>();
    for (TaskRecord t : job.tasks()) {
      if (t.stage().getAfterCount() == 0) {
        becomeReady(job, t, now, null);
        roots.add(t);
      }
    }
    try {
      store.insert(job);
    } catch (StoreException e) {
      throw unavailable(e);
    }
    active.put(job.id, job);
    countUnfinished(job);
    metrics.jobEntered(job.pipelineName, stateLabel(job.state));
    publishWhenDurable(job);
    for (TaskRecord t : roots) {
      dispatch(job, t, now);
    }
    return new SubmitResult(job.toProto(), false);
  }

  public record SubmitResult(Job job, boolean deduplicated) {}

  public Job job(String jobId) {
    return afterDurable(jobLocked(jobId));
  }

  private synchronized Job jobLocked(String jobId) {
    return record(jobId).toProto();
  }

  private JobRecord record(String jobId) {
    JobRecord job = active.get(jobId);
    if (job != null) {
      return job;
    }
    return store.load(jobId).orElseThrow(() -> Errors.notFound("job", jobId));
  }

  /** Stored outputs of a job, by stage. */
  public Map<String, StageOutput> outputs(String jobId) {
    return store.outputs(jobId);
  }

  public Job cancel(String jobId, String reason) {
    return afterDurable(cancelLocked(jobId, reason));
  }

  private synchronized Job cancelLocked(String jobId, String reason) {
    JobRecord job = record(jobId);
    if (job.isTerminal()) {
      return job.toProto();
    }
    Instant now = clock.instant();
    JobError err = JobError.newBuilder().setCode("CANCELLED").setReason("CANCELLED")
        .setMessage(reason.isEmpty() ? "cancelled by a client" : reason).build();
    stopUnfinishedTasks(job, now);
    job.changeState(JobState.JOB_STATE_CANCELLED, err, now);
    commit(job, now);
    return job.toProto();
  }

  /** Unfinished tasks of an ending job become CANCELLED; leased ones keep their token so the next heartbeat says "cancel". */
  private void stopUnfinishedTasks(JobRecord job, Instant now) {
    for (TaskRecord t : job.tasks()) {
      if (!t.isTerminal()) {
        ready.remove(t);
        if (t.state == TaskState.TASK_STATE_LEASED) {
          metrics.taskEnded(t.processor(), "cancelled");
        }
        job.changeTask(t, TaskState.TASK_STATE_CANCELLED, null, now);
      }
    }
  }

  // ---------------------------------------------------------------- task queue

  /** Answers now with the best READY task, or parks the call until one is ready or the wait ends. */
  public void poll(String workerId, List<String> processors, Duration requestedWait, int slotsTotal, int slotsBusy,
      String peer, Instant callDeadline, ServerCallStreamObserver<PollTaskResponse> observer) {
    Duration wait = requestedWait.isZero() ? config.pollWait() : requestedWait;
    Instant now = clock.instant();
    if (callDeadline != null) {
      Duration untilDeadline = Duration.between(now, callDeadline).minus(DEADLINE_MARGIN);
      if (untilDeadline.compareTo(wait) < 0) {
        wait = untilDeadline.isNegative() ? Duration.ZERO : untilDeadline;
      }
    }
    workers.polled(workerId, processors, slotsTotal, slotsBusy, now, peer);
    PollWaiter w = new PollWaiter(workerId, Set.copyOf(processors), observer);
    observer.setOnCancelHandler(() -> {
      synchronized (JobEngine.this) {
        waiters.remove(w);
      }
      w.cancelTimeout();
    });
    synchronized (this) {
      TaskRecord t = ready.poll(processors);
      if (t != null) {
        deliver(active.get(t.jobId()), t, w, now);
      } else if (wait.isZero()) {
        w.answer(PollTaskResponse.getDefaultInstance());
      } else {
        waiters.add(w);
        w.timeout = timer.schedule(() -> giveUp(w), wait.toNanos(), TimeUnit.NANOSECONDS);
      }
    }
    // A delivered task is answered here, once its lease is durable.
    commits.await();
  }

  private synchronized void giveUp(PollWaiter w) {
    if (waiters.remove(w)) {
      w.answer(PollTaskResponse.getDefaultInstance());
    }
  }

  /** A task just became dispatchable: to the longest-waiting poller that can run it, else into the index. */
  private void dispatch(JobRecord job, TaskRecord t, Instant now) {
    if (t.readyAt.isAfter(now)) {
      ready.add(t, job.priority, now);
      return;
    }
    for (Iterator<PollWaiter> it = waiters.iterator(); it.hasNext(); ) {
      PollWaiter w = it.next();
      if (w.isGone()) {
        it.remove();
        w.cancelTimeout();
        continue;
      }
      if (w.processors.contains(t.processor())) {
        it.remove();
        w.cancelTimeout();
        deliver(job, t, w, now);
        return;
      }
    }
    ready.add(t, job.priority, now);
  }

  /** Leases {@code t} to the poller, commits, then answers it. */
  private void deliver(JobRecord job, TaskRecord t, PollWaiter w, Instant now) {
    if (t.attempt == 0) {
      t.attempt = 1;
    }
    t.leaseToken = Ids.newLeaseToken();
    t.leaseExpire = now.plus(config.leaseDuration());
    t.workerId = w.workerId;
    t.startTime = now;
    t.endTime = null;
    t.progress = null;
    job.changeTask(t, TaskState.TASK_STATE_LEASED, null, now);
    boolean started = job.state == JobState.JOB_STATE_QUEUED;
    if (started) {
      job.changeState(JobState.JOB_STATE_RUNNING, null, now);
    }
    try {
      commit(job, now);
    } catch (StatusRuntimeException e) {
      w.fail(e);
      return;
    }
    metrics.taskStarted(t.processor(), Duration.between(t.readySince, now));
    PollTaskResponse answer = PollTaskResponse.newBuilder().setTask(taskMessage(job, t)).build();
    String token = t.leaseToken;
    commits.after(store.lastCommit(), () -> {
      if (!w.answer(answer)) {
        timer.execute(() -> takeBackUndelivered(t.jobId(), t.name(), token));
      }
    });
  }

  /**
   * The poller went away before its task reached it: the task is READY again at once, keeping its
   * attempt number and its place in the queue, instead of waiting for the lease to expire.
   */
  void takeBackUndelivered(String jobId, String stage, String token) {
    synchronized (this) {
      JobRecord job = active.get(jobId);
      TaskRecord t = job == null ? null : job.task(stage);
      if (t == null || t.state != TaskState.TASK_STATE_LEASED || !t.leaseToken.equals(token)) {
        return;
      }
      Instant now = clock.instant();
      JobError err = JobError.newBuilder().setStage(stage).setCode("CANCELLED").setReason("POLL_CANCELLED")
          .setMessage("worker " + t.workerId + " went away before the task reached it").build();
      t.readyAt = now;
      job.changeTask(t, TaskState.TASK_STATE_READY, err, now);
      metrics.taskEnded(t.processor(), "undelivered");
      commit(job, now);
      dispatch(job, t, now);
    }
    commits.await();
  }

  private Task taskMessage(JobRecord job, TaskRecord t) {
    Task.Builder b = Task.newBuilder()
        .setTaskId(t.taskId())
        .setJobId(job.id)
        .setStage(t.name())
        .setProcessor(t.processor())
        .setAttempt(t.attempt)
        .setLeaseToken(t.leaseToken)
        .setLeaseExpireTime(Protos.timestamp(t.leaseExpire))
        .setLeaseDuration(Protos.duration(config.leaseDuration()))
        .setTimeout(Protos.duration(t.timeout()))
        .setDocument(job.document)
        .putAllOptions(t.stage().getOptionsMap())
        .setPassword(job.password)
        .setTraceparent(job.traceparent)
        .setTracestate(job.tracestate);
    if (t.stage().getAfterCount() > 0) {
      Map<String, StageOutput> outputs = store.outputs(job.id);
      for (String dep : t.stage().getAfterList()) {
        StageOutput o = outputs.get(dep);
        if (o != null) {
          b.addUpstream(UpstreamOutput.newBuilder().setStage(dep).setProcessor(job.task(dep).processor()).setOutput(o));
        }
      }
    }
    return b.build();
  }

  public HeartbeatResponse heartbeat(HeartbeatRequest req) {
    return afterDurable(heartbeatLocked(req));
  }

  private synchronized HeartbeatResponse heartbeatLocked(HeartbeatRequest req) {
    Located l = locate(req.getTaskId(), req.getLeaseToken());
    if (l.cancelled()) {
      return HeartbeatResponse.newBuilder().setLeaseExpireTime(Protos.timestamp(l.task.leaseExpire)).setCancelRequested(true).build();
    }
    Instant now = clock.instant();
    l.task.leaseExpire = now.plus(config.leaseDuration());
    if (req.hasProgress()) {
      l.job.progress(l.task, req.getProgress(), now);
    }
    commit(l.job, now);
    return HeartbeatResponse.newBuilder().setLeaseExpireTime(Protos.timestamp(l.task.leaseExpire)).build();
  }

  public CompleteTaskResponse complete(CompleteTaskRequest req) {
    return afterDurable(completeLocked(req));
  }

  private synchronized CompleteTaskResponse completeLocked(CompleteTaskRequest req) {
    Located l = locate(req.getTaskId(), req.getLeaseToken());
    if (l.cancelled()) {
      return CompleteTaskResponse.newBuilder().setJobState(l.job.state).build();
    }
    if (req.getOutput().getOutputCase() == StageOutput.OutputCase.OUTPUT_NOT_SET) {
      throw Errors.invalidArgument("output", "required: the processor's result");
    }
    Instant now = clock.instant();
    JobRecord job = l.job;
    TaskRecord t = l.task;
    job.recordOutput(t, req.getOutput());
    job.changeTask(t, TaskState.TASK_STATE_SUCCEEDED, null, now);
    List<TaskRecord> unblocked = new ArrayList<>();
    for (TaskRecord next : job.tasks()) {
      if (next.state == TaskState.TASK_STATE_BLOCKED && next.stage().getAfterList().stream()
          .allMatch(dep -> job.task(dep).state == TaskState.TASK_STATE_SUCCEEDED)) {
        becomeReady(job, next, now, null);
        unblocked.add(next);
      }
    }
    if (job.tasks().stream().allMatch(x -> x.state == TaskState.TASK_STATE_SUCCEEDED)) {
      job.changeState(JobState.JOB_STATE_SUCCEEDED, null, now);
    }
    commit(job, now);
    metrics.taskEnded(t.processor(), "succeeded");
    for (TaskRecord next : unblocked) {
      dispatch(job, next, now);
    }
    return CompleteTaskResponse.newBuilder().setJobState(job.state).build();
  }

  public FailTaskResponse fail(FailTaskRequest req) {
    return afterDurable(failLocked(req));
  }

  private synchronized FailTaskResponse failLocked(FailTaskRequest req) {
    Located l = locate(req.getTaskId(), req.getLeaseToken());
    if (l.cancelled()) {
      return FailTaskResponse.getDefaultInstance();
    }
    Instant now = clock.instant();
    JobError.Builder err = req.getError().toBuilder().setStage(l.task.name());
    if (err.getCode().isEmpty()) {
      err.setCode("UNKNOWN");
    }
    if (err.getReason().isEmpty()) {
      err.setReason("PROCESSOR_FAILED");
    }
    boolean retry = req.getRetryable() && l.task.attempt < l.task.maxAttempts();
    Instant retryAt = retry ? now.plus(l.task.backoffAfter(l.task.attempt)) : null;
    endAttempt(l.job, l.task, err.build(), retryAt, now, retry ? "retried" : "failed");
    FailTaskResponse.Builder r = FailTaskResponse.newBuilder().setWillRetry(retry);
    if (retry) {
      r.setRetryTime(Protos.timestamp(retryAt));
    }
    return r.build();
  }

  /**
   * The current attempt ended without output: READY again at {@code retryAt} with attempt + 1,
   * or, when {@code retryAt} is null, the task fails for good and so does its job.
   */
  private void endAttempt(JobRecord job, TaskRecord t, JobError err, Instant retryAt, Instant now, String outcome) {
    metrics.taskEnded(t.processor(), outcome);
    if (retryAt != null) {
      t.attempt++;
      becomeReady(job, t, retryAt, err);
      commit(job, now);
      dispatch(job, t, now);
      return;
    }
    job.changeTask(t, TaskState.TASK_STATE_FAILED, err, now);
    stopUnfinishedTasks(job, now);
    job.changeState(JobState.JOB_STATE_FAILED, err, now);
    commit(job, now);
  }

  private void becomeReady(JobRecord job, TaskRecord t, Instant at, JobError err) {
    t.readyAt = at;
    t.readySince = at;
    job.changeTask(t, TaskState.TASK_STATE_READY, err, at);
  }

  private record Located(JobRecord job, TaskRecord task) {
    boolean cancelled() {
      return job.isTerminal() || task.state == TaskState.TASK_STATE_CANCELLED;
    }
  }

  /** The task a worker names, if its lease token is the current one; else LEASE_STALE and nothing changes. */
  private Located locate(String taskId, String token) {
    Ids.TaskId id = Ids.checkTaskId("task_id", taskId);
    if (token.isEmpty()) {
      throw Errors.invalidArgument("lease_token", "required");
    }
    JobRecord job = active.get(id.jobId());
    if (job == null) {
      job = store.load(id.jobId()).orElseThrow(() -> Errors.notFound("task", taskId));
    }
    TaskRecord t = job.task(id.stage());
    if (t == null) {
      throw Errors.notFound("task", taskId);
    }
    if (!token.equals(t.leaseToken)) {
      throw stale(taskId, "its lease token is not the current one (the lease expired and the task was handed out again)");
    }
    Located l = new Located(job, t);
    if (!l.cancelled() && t.state != TaskState.TASK_STATE_LEASED) {
      throw stale(taskId, "it is " + t.state.name().substring("TASK_STATE_".length()) + ", no longer leased");
    }
    return l;
  }

  private static StatusRuntimeException stale(String taskId, String why) {
    return Errors.withReason(Status.Code.FAILED_PRECONDITION, "LEASE_STALE", "task " + taskId + ": " + why, Map.of("task_id", taskId));
  }

  // ---------------------------------------------------------------- time-driven work

  private void sweepSafely() {
    try {
      sweep();
    } catch (RuntimeException e) {
      log.error("lease sweep failed", e);
    }
  }

  /** Expired leases go back to READY (or fail the task when its attempts are used up); ended backoffs dispatch. */
  public void sweep() {
    sweepLocked();
    commits.await();
  }

  private synchronized void sweepLocked() {
    Instant now = clock.instant();
    for (TaskRecord t : ready.takeDue(now)) {
      JobRecord job = active.get(t.jobId());
      if (job != null && t.state == TaskState.TASK_STATE_READY) {
        dispatch(job, t, now);
      }
    }
    for (JobRecord job : List.copyOf(active.values())) {
      for (TaskRecord t : job.tasks()) {
        if (job.isTerminal() || t.state != TaskState.TASK_STATE_LEASED) {
          continue;
        }
        if (!t.leaseExpire.isAfter(now)) {
          JobError err = JobError.newBuilder().setStage(t.name()).setCode("DEADLINE_EXCEEDED").setReason("LEASE_EXPIRED")
              .setMessage("worker " + t.workerId + " did not heartbeat within " + config.leaseDuration()).build();
          log.info("lease of {} (attempt {}) expired", t.taskId(), t.attempt);
          endAttempt(job, t, err, t.attempt < t.maxAttempts() ? now : null, now, "lease_expired");
        } else if (!t.startTime.plus(t.timeout()).isAfter(now)) {
          // Heartbeats prove the worker lives, not that the attempt ends: the stage timeout bounds it.
          JobError err = JobError.newBuilder().setStage(t.name()).setCode("DEADLINE_EXCEEDED").setReason("STAGE_TIMEOUT")
              .setMessage("attempt " + t.attempt + " ran longer than the stage timeout of " + t.timeout()).build();
          log.info("attempt {} of {} timed out", t.attempt, t.taskId());
          endAttempt(job, t, err, t.attempt < t.maxAttempts() ? now.plus(t.backoffAfter(t.attempt)) : null, now, "timed_out");
        }
      }
    }
  }

  private void expireSafely() {
    try {
      expireRetention();
    } catch (RuntimeException e) {
      log.error("retention failed", e);
    }
  }

  /** Deletes finished jobs and unused documents older than the retention; returns the documents removed. */
  public List<String> expireRetention() {
    return afterDurable(expireRetentionLocked());
  }

  private synchronized List<String> expireRetentionLocked() {
    List<String> docs = store.expire(clock.instant().minus(config.retention()));
    for (String d : docs) {
      try {
        blobs.delete(d);
      } catch (IOException e) {
        log.warn("cannot delete expired document {}: {}", d, e.getMessage());
      }
    }
    if (!docs.isEmpty()) {
      log.info("retention removed {} documents", docs.size());
    }
    return docs;
  }

  // ---------------------------------------------------------------- watching

  public void watch(String jobId, long afterSequence, ServerCallStreamObserver<WatchJobResponse> observer) {
    JobWatcher w;
    synchronized (this) {
      JobRecord job = record(jobId);
      if (job.isTerminal() && afterSequence >= job.lastSequence) {
        observer.onCompleted();
        return;
      }
      JobWatcher[] self = new JobWatcher[1];
      w = new JobWatcher(observer, streamExecutor, jobId, store, afterSequence, job.lastSequence, () -> hub.remove(self[0]));
      self[0] = w;
      if (!job.isTerminal()) {
        hub.add(w);
      }
    }
    // The stored events it replays must be durable before they are sent.
    commits.await();
    w.start();
  }

  public void watchAll(WatchJobsRequest filter, ServerCallStreamObserver<WatchJobsResponse> observer) {
    FirehoseWatcher[] self = new FirehoseWatcher[1];
    FirehoseWatcher w = new FirehoseWatcher(observer, streamExecutor, filter, () -> hub.remove(self[0]));
    self[0] = w;
    hub.add(w);
    w.start();
  }

  // ---------------------------------------------------------------- views

  public synchronized List<WorkerInfo> workers() {
    Map<String, Integer> leases = new HashMap<>();
    for (JobRecord job : active.values()) {
      for (TaskRecord t : job.tasks()) {
        if (t.state == TaskState.TASK_STATE_LEASED) {
          leases.merge(t.workerId, 1, Integer::sum);
        }
      }
    }
    return workers.recent(clock.instant(), leases);
  }

  public synchronized QueueSnapshot queueSnapshot() {
    return new QueueSnapshot(ready.depthByProcessor(), ready.oldestAge(clock.instant()));
  }

  // ---------------------------------------------------------------- commit

  /**
   * Makes the job's uncommitted changes durable, then tells the watchers. When the store
   * refuses, memory is reset to what the store holds, so nothing unrecorded is ever reported.
   */
  private void commit(JobRecord job, Instant now) {
    try {
      store.save(job);
    } catch (StoreException e) {
      reloadAfterFailedWrite(job, now);
      throw unavailable(e);
    }
    countUnfinished(job);
    if (job.isTerminal()) {
      active.remove(job.id);
      unfinishedTasks.remove(job.id);
      metrics.jobFinished(job.pipelineName, stateLabel(job.state), Duration.between(job.createTime, job.endTime));
    }
    boolean changedState = job.uncommittedEvents().stream().anyMatch(ev -> ev.hasJobStateChanged());
    if (changedState) {
      metrics.jobEntered(job.pipelineName, stateLabel(job.state));
    }
    publishWhenDurable(job);
  }

  /** The just-committed events go to the watchers once durable; the job is snapshotted now, as it was then. */
  private void publishWhenDurable(JobRecord job) {
    List<dev.docmesh.proto.orchestrator.v1.JobEvent> events = job.markCommitted();
    Job snapshot = hub.hasFirehose() ? job.toProto() : null;
    String id = job.id;
    Map<String, String> labels = job.labels;
    commits.after(store.lastCommit(), () -> hub.publish(id, labels, events, snapshot));
  }

  /** {@code result}, once everything committed so far is durable: nobody is told of a change that could still be lost. */
  private <T> T afterDurable(T result) {
    commits.await();
    return result;
  }

  /** Waits until everything committed so far is durable (before answering from what the store holds). */
  public void awaitDurable() {
    commits.await();
  }

  private void reloadAfterFailedWrite(JobRecord stale, Instant now) {
    log.error("store write for {} failed; reloading it from the store", stale.id);
    for (TaskRecord t : stale.tasks()) {
      ready.remove(t);
    }
    active.remove(stale.id);
    store.load(stale.id).filter(j -> !j.isTerminal()).ifPresent(j -> {
      active.put(j.id, j);
      for (TaskRecord t : j.tasks()) {
        if (t.state == TaskState.TASK_STATE_READY) {
          ready.add(t, j.priority, now);
        }
      }
    });
  }

  private void countUnfinished(JobRecord job) {
    int n = job.isTerminal() ? 0 : (int) job.tasks().stream().filter(t -> !t.isTerminal()).count();
    Integer before = unfinishedTasks.put(job.id, n);
    pendingTasks += n - (before == null ? 0 : before);
  }

  private static StatusRuntimeException unavailable(StoreException e) {
    return Status.UNAVAILABLE.withDescription("the job store could not commit: " + e.getMessage()).withCause(e).asRuntimeException();
  }

  static String stateLabel(JobState s) {
    return s.name().substring("JOB_STATE_".length()).toLowerCase(Locale.ROOT);
  }

  /** Answers every parked poller with "no task" and stops the timers (shutdown). */
  @Override
  public synchronized void close() {
    schedules.forEach(f -> f.cancel(false));
    for (PollWaiter w : waiters) {
      w.cancelTimeout();
      w.answer(PollTaskResponse.getDefaultInstance());
    }
    waiters.clear();
  }
}
