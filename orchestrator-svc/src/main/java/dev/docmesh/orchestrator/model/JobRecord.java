package dev.docmesh.orchestrator.model;

import com.google.protobuf.ByteString;
import dev.docmesh.proto.document.v1.DocumentRef;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobError;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.JobStateChanged;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.Stage;
import dev.docmesh.proto.orchestrator.v1.StageStatus;
import dev.docmesh.proto.orchestrator.v1.TaskProgressed;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import dev.docmesh.proto.orchestrator.v1.TaskStateChanged;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One job as the engine tracks it: the Job message's facts, its tasks, and the changes not yet
 * committed (events and outputs). Mutated only under the engine's lock, and only through the
 * transitions below ({@link #lease}, {@link #complete}, {@link #fail}, ...): each appends its
 * JobEvents, so no change can go unrecorded, and the job decides which stages a change unblocks.
 */
public final class JobRecord {
  private final String id;
  private final String pipelineName;
  private final Pipeline pipeline;
  private final DocumentRef document;
  private final Map<String, String> labels;
  private final int priority;
  private final String requestId;
  private final Instant createTime;
  private final String traceparent;
  private final String tracestate;
  private final String password;
  private final String owner;
  private JobState state = JobState.JOB_STATE_QUEUED;
  private JobError error;
  private Instant startTime;
  private Instant endTime;
  private long lastSequence;

  /**
   * The stored version this record was loaded or last saved at (0: never stored); see {@link
   * #storeVersion()}.
   */
  private long storeVersion;

  /**
   * Number of the store write that last stored this record's changes, once this process wrote it;
   * until then every write so far (a record loaded from the store may show writes not yet synced).
   */
  private long lastWrite = Long.MAX_VALUE;

  private final Map<String, TaskRecord> tasks = new LinkedHashMap<>();
  private final List<JobEvent> uncommittedEvents = new ArrayList<>();
  private final Map<String, ByteString> uncommittedOutputs = new LinkedHashMap<>();

  public JobRecord(
      String id,
      String pipelineName,
      Pipeline pipeline,
      List<Stage> topologicalStages,
      DocumentRef document,
      Map<String, String> labels,
      int priority,
      String requestId,
      Instant createTime,
      String traceparent,
      String tracestate,
      String password,
      String owner) {
    this.id = id;
    this.owner = owner;
    this.pipelineName = pipelineName;
    this.pipeline = pipeline;
    this.document = document;
    this.labels = Map.copyOf(labels);
    this.priority = priority;
    this.requestId = requestId;
    this.createTime = createTime;
    this.traceparent = traceparent;
    this.tracestate = tracestate;
    this.password = password;
    for (Stage s : topologicalStages) {
      tasks.put(s.getName(), new TaskRecord(id, s));
    }
  }

  /** Rebuilds a stored job; {@code job} supplies the state of the job and every stage. */
  public static JobRecord restore(Job job, Pipeline pipeline, String password, String tracestate) {
    Map<String, Stage> byName = new LinkedHashMap<>();
    pipeline.getStagesList().forEach(s -> byName.put(s.getName(), s));
    List<Stage> ordered = job.getStagesList().stream().map(s -> byName.get(s.getName())).toList();
    JobRecord r =
        new JobRecord(
            job.getId(),
            job.getPipeline(),
            pipeline,
            ordered,
            job.getDocument(),
            job.getLabelsMap(),
            job.getPriority(),
            job.getRequestId(),
            Protos.instant(job.getCreateTime()),
            job.getTraceparent(),
            tracestate,
            password,
            job.getOwner());
    r.state = job.getState();
    r.error = job.hasError() ? job.getError() : null;
    r.startTime = job.hasStartTime() ? Protos.instant(job.getStartTime()) : null;
    r.endTime = job.hasEndTime() ? Protos.instant(job.getEndTime()) : null;
    r.lastSequence = job.getLastSequence();
    for (StageStatus s : job.getStagesList()) {
      r.tasks.get(s.getName()).restore(s);
    }
    return r;
  }

  public String id() {
    return id;
  }

  public String pipelineName() {
    return pipelineName;
  }

  public Pipeline pipeline() {
    return pipeline;
  }

  public DocumentRef document() {
    return document;
  }

  public Map<String, String> labels() {
    return labels;
  }

  public int priority() {
    return priority;
  }

  public String requestId() {
    return requestId;
  }

  /**
   * The principal that submitted the job (issue 14: only it and those who see all jobs may see it).
   */
  public String owner() {
    return owner;
  }

  public Instant createTime() {
    return createTime;
  }

  public String traceparent() {
    return traceparent;
  }

  public String tracestate() {
    return tracestate;
  }

  public String password() {
    return password;
  }

  public TaskRecord task(String stage) {
    return tasks.get(stage);
  }

  public Collection<TaskRecord> tasks() {
    return tasks.values();
  }

  public boolean isTerminal() {
    return isTerminal(state);
  }

  public static boolean isTerminal(JobState s) {
    return s == JobState.JOB_STATE_SUCCEEDED
        || s == JobState.JOB_STATE_FAILED
        || s == JobState.JOB_STATE_CANCELLED;
  }

  public double progressPercent() {
    if (state == JobState.JOB_STATE_SUCCEEDED) {
      return 100;
    }
    double done = 0;
    for (TaskRecord t : tasks.values()) {
      done += t.fractionDone();
    }
    return Math.round(done * 1000.0 / tasks.size()) / 10.0;
  }

  public JobState state() {
    return state;
  }

  public Instant endTime() {
    return endTime;
  }

  /**
   * The version of the job's stored row this record reflects. A store shared by several replicas
   * saves only over the version it was loaded at (optimistic locking); one writer ignores it.
   */
  public long storeVersion() {
    return storeVersion;
  }

  /** Set by the store after a load or a committed save. */
  public void storeVersion(long version) {
    this.storeVersion = version;
  }

  public long lastSequence() {
    return lastSequence;
  }

  // ---------------------------------------------------------------- transitions

  /**
   * The creation event (UNSPECIFIED to QUEUED); the stages without upstream become READY. Returns
   * those.
   */
  public List<TaskRecord> create(Instant now) {
    append(
        JobEvent.newBuilder()
            .setJobStateChanged(
                JobStateChanged.newBuilder()
                    .setFrom(JobState.JOB_STATE_UNSPECIFIED)
                    .setTo(JobState.JOB_STATE_QUEUED)),
        now);
    List<TaskRecord> roots = new ArrayList<>();
    for (TaskRecord t : tasks.values()) {
      if (t.stage().getAfterCount() == 0) {
        ready(t, now, null);
        roots.add(t);
      }
    }
    return roots;
  }

  /** {@code t} is leased to a worker; the job's first lease starts it. */
  public void lease(TaskRecord t, String workerId, String token, Instant expire, Instant now) {
    t.lease(workerId, token, expire, now);
    changeTask(t, TaskState.TASK_STATE_LEASED, null, now);
    if (state == JobState.JOB_STATE_QUEUED) {
      changeState(JobState.JOB_STATE_RUNNING, null, now);
    }
  }

  /**
   * A heartbeat: the lease runs until {@code expire}; {@code progress} may be null. Returns the
   * progress event for the watchers, or null. It is not stored and takes no sequence number of its
   * own: it carries the sequence of the job's last stored event, the one it follows, so stored
   * sequences stay 1, 2, 3, ... and a watcher resuming after the sequence it saw last misses no
   * stored event.
   */
  public JobEvent renewLease(TaskRecord t, Instant expire, Progress progress, Instant now) {
    t.renew(expire);
    return progress == null ? null : progressed(t, progress, now);
  }

  /**
   * {@code t} made {@code progress}: the event for the watchers, not stored (see {@link
   * #renewLease}). Also a BLOCKED stage's, when a worker runs it as a follow-on of its upstream.
   */
  public JobEvent progressed(TaskRecord t, Progress progress, Instant now) {
    t.progress(progress);
    return JobEvent.newBuilder()
        .setTaskProgressed(
            TaskProgressed.newBuilder()
                .setStage(t.name())
                .setAttempt(t.attempt())
                .setProgress(progress))
        .setSequence(lastSequence)
        .setJobId(id)
        .setTime(Protos.timestamp(now))
        .setJobState(state)
        .setProgressPercent(progressPercent())
        .build();
  }

  /**
   * {@code t} succeeded with {@code output} (an encoded StageOutput, checked by {@link
   * StageOutputs#check}): returns the stages that became READY; the last success ends the job.
   */
  public List<TaskRecord> complete(TaskRecord t, ByteString output, Instant now) {
    uncommittedOutputs.put(t.name(), output);
    changeTask(t, TaskState.TASK_STATE_SUCCEEDED, null, now);
    List<TaskRecord> unblocked = new ArrayList<>();
    for (TaskRecord next : tasks.values()) {
      if (next.is(TaskState.TASK_STATE_BLOCKED)
          && next.stage().getAfterList().stream()
              .allMatch(dep -> tasks.get(dep).is(TaskState.TASK_STATE_SUCCEEDED))) {
        ready(next, now, null);
        unblocked.add(next);
      }
    }
    if (tasks.values().stream().allMatch(x -> x.is(TaskState.TASK_STATE_SUCCEEDED))) {
      changeState(JobState.JOB_STATE_SUCCEEDED, null, now);
    }
    return unblocked;
  }

  /** The attempt ended with {@code err}; attempt + 1 is READY at {@code at}. */
  public void retry(TaskRecord t, JobError err, Instant at) {
    t.nextAttempt();
    ready(t, at, err);
  }

  /**
   * The lease ended before the task reached its worker: READY again at once, same attempt, same
   * queue age.
   */
  public void handBack(TaskRecord t, JobError err, Instant now) {
    t.readyNow(now);
    changeTask(t, TaskState.TASK_STATE_READY, err, now);
  }

  /**
   * {@code t} failed for good, and so does the job. Returns the tasks that were leased and are now
   * cancelled.
   */
  public List<TaskRecord> fail(TaskRecord t, JobError err, Instant now) {
    changeTask(t, TaskState.TASK_STATE_FAILED, err, now);
    List<TaskRecord> stopped = stopUnfinished(now);
    changeState(JobState.JOB_STATE_FAILED, err, now);
    return stopped;
  }

  /** The job is cancelled. Returns the tasks that were leased and are now cancelled. */
  public List<TaskRecord> cancel(JobError err, Instant now) {
    List<TaskRecord> stopped = stopUnfinished(now);
    changeState(JobState.JOB_STATE_CANCELLED, err, now);
    return stopped;
  }

  /**
   * Unfinished tasks of an ending job become CANCELLED; leased ones keep their token so the next
   * heartbeat says "cancel".
   */
  private List<TaskRecord> stopUnfinished(Instant now) {
    List<TaskRecord> wereLeased = new ArrayList<>();
    for (TaskRecord t : tasks.values()) {
      if (!t.isTerminal()) {
        if (t.is(TaskState.TASK_STATE_LEASED)) {
          wereLeased.add(t);
        }
        changeTask(t, TaskState.TASK_STATE_CANCELLED, null, now);
      }
    }
    return wereLeased;
  }

  private void ready(TaskRecord t, Instant at, JobError err) {
    t.ready(at);
    changeTask(t, TaskState.TASK_STATE_READY, err, at);
  }

  private void changeState(JobState to, JobError err, Instant now) {
    JobState from = state;
    state = to;
    if (to == JobState.JOB_STATE_RUNNING && startTime == null) {
      startTime = now;
    }
    if (isTerminal(to)) {
      endTime = now;
      error = err;
    }
    JobStateChanged.Builder c = JobStateChanged.newBuilder().setFrom(from).setTo(to);
    if (err != null) {
      c.setError(err);
    }
    append(JobEvent.newBuilder().setJobStateChanged(c), now);
  }

  private void changeTask(TaskRecord t, TaskState to, JobError err, Instant now) {
    TaskState from = t.moveTo(to, err, now);
    TaskStateChanged.Builder c =
        TaskStateChanged.newBuilder()
            .setStage(t.name())
            .setFrom(from)
            .setTo(to)
            .setAttempt(t.attempt())
            .setWorkerId(t.workerId());
    if (err != null) {
      c.setError(err);
    }
    append(JobEvent.newBuilder().setTaskStateChanged(c), now);
  }

  private void append(JobEvent.Builder e, Instant now) {
    uncommittedEvents.add(
        e.setSequence(++lastSequence)
            .setJobId(id)
            .setTime(Protos.timestamp(now))
            .setJobState(state)
            .setProgressPercent(progressPercent())
            .build());
  }

  /** True when the uncommitted events include a change of the job's state. */
  public boolean changedState() {
    return uncommittedEvents.stream().anyMatch(JobEvent::hasJobStateChanged);
  }

  public List<JobEvent> uncommittedEvents() {
    return uncommittedEvents;
  }

  public Map<String, ByteString> uncommittedOutputs() {
    return uncommittedOutputs;
  }

  /** What a reader waits for before it shows this record: see {@code GroupCommit.await(long)}. */
  public long lastWrite() {
    return lastWrite;
  }

  /**
   * After a commit by store write number {@code write}: hands back the events that were just
   * committed, to be told once durable.
   */
  public List<JobEvent> markCommitted(long write) {
    lastWrite = write;
    List<JobEvent> out = List.copyOf(uncommittedEvents);
    uncommittedEvents.clear();
    uncommittedOutputs.clear();
    for (TaskRecord t : tasks.values()) {
      t.stored();
    }
    return out;
  }

  public Job toProto() {
    Job.Builder b =
        Job.newBuilder()
            .setId(id)
            .setState(state)
            .setPipeline(pipelineName)
            .setProgressPercent(progressPercent())
            .setDocument(document)
            .putAllLabels(labels)
            .setPriority(priority)
            .setRequestId(requestId)
            .setCreateTime(Protos.timestamp(createTime))
            .setLastSequence(lastSequence)
            .setTraceparent(traceparent)
            .setOwner(owner);
    for (TaskRecord t : tasks.values()) {
      b.addStages(t.toStatus());
    }
    if (error != null) {
      b.setError(error);
    }
    if (startTime != null) {
      b.setStartTime(Protos.timestamp(startTime));
    }
    if (endTime != null) {
      b.setEndTime(Protos.timestamp(endTime));
    }
    return b.build();
  }
}
