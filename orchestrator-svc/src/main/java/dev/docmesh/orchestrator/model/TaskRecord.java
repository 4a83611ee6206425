package dev.docmesh.orchestrator.model;

import dev.docmesh.orchestrator.Ids;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.orchestrator.v1.JobError;
import dev.docmesh.proto.orchestrator.v1.Stage;
import dev.docmesh.proto.orchestrator.v1.StageStatus;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import java.time.Duration;
import java.time.Instant;

/**
 * One stage of one job as the engine tracks it. Its state changes only through its {@link
 * JobRecord}, which records each change as an event; mutated only under the engine's lock.
 */
public final class TaskRecord {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  private final String jobId;
  private final Stage stage;
  private TaskState state = TaskState.TASK_STATE_BLOCKED;
  private int attempt;
  private String leaseToken = "";
  private Instant leaseExpire = Instant.EPOCH;

  /**
   * The task's row as the store holds it (its lease expiry: renewals are written only now and
   * then); null before it was written or loaded.
   */
  private StoreRow storedRow;

  /** Not dispatched before this instant (retry backoff). */
  private Instant readyAt = Instant.EPOCH;

  /** When it last became READY: the start of its queue age. */
  private Instant readySince = Instant.EPOCH;

  private String workerId = "";
  private Progress progress;
  private JobError lastError;
  private Instant startTime;
  private Instant endTime;

  TaskRecord(String jobId, Stage stage) {
    this.jobId = jobId;
    this.stage = stage;
  }

  public String jobId() {
    return jobId;
  }

  public String name() {
    return stage.getName();
  }

  public String processor() {
    return stage.getProcessor();
  }

  public Stage stage() {
    return stage;
  }

  public String taskId() {
    return Ids.taskId(jobId, stage.getName());
  }

  public TaskState state() {
    return state;
  }

  public boolean is(TaskState s) {
    return state == s;
  }

  public int attempt() {
    return attempt;
  }

  public String leaseToken() {
    return leaseToken;
  }

  public Instant leaseExpire() {
    return leaseExpire;
  }

  public Instant readyAt() {
    return readyAt;
  }

  public Instant readySince() {
    return readySince;
  }

  public String workerId() {
    return workerId;
  }

  public Instant startTime() {
    return startTime;
  }

  public boolean isTerminal() {
    return state == TaskState.TASK_STATE_SUCCEEDED
        || state == TaskState.TASK_STATE_FAILED
        || state == TaskState.TASK_STATE_CANCELLED;
  }

  public int maxAttempts() {
    int m = stage.getRetry().getMaxAttempts();
    return m == 0 ? 3 : m;
  }

  public boolean hasAttemptsLeft() {
    return attempt < maxAttempts();
  }

  public Duration timeout() {
    return stage.hasTimeout() ? Protos.duration(stage.getTimeout()) : DEFAULT_TIMEOUT;
  }

  /** Leased, and its lease ran out by {@code now}. */
  public boolean leaseExpired(Instant now) {
    return state == TaskState.TASK_STATE_LEASED && !leaseExpire.isAfter(now);
  }

  /** Leased, and the attempt ran past the stage timeout by {@code now} (heartbeats or not). */
  public boolean attemptTimedOut(Instant now) {
    return state == TaskState.TASK_STATE_LEASED && !startTime.plus(timeout()).isAfter(now);
  }

  /** Wait before attempt {@code attempt + 1}: initial × multiplier^(attempt−1), capped at max. */
  public Duration backoffAfter(int attempt) {
    Duration initial =
        stage.getRetry().hasInitialBackoff()
            ? Protos.duration(stage.getRetry().getInitialBackoff())
            : Duration.ofSeconds(1);
    Duration max =
        stage.getRetry().hasMaxBackoff()
            ? Protos.duration(stage.getRetry().getMaxBackoff())
            : Duration.ofSeconds(30);
    double mult =
        stage.getRetry().getBackoffMultiplier() == 0
            ? 2.0
            : stage.getRetry().getBackoffMultiplier();
    double nanos = initial.toNanos() * Math.pow(mult, Math.max(0, attempt - 1));
    return nanos >= max.toNanos() ? max : Duration.ofNanos((long) nanos);
  }

  /** Share of this stage done, 0 to 1, for the job's progress_percent. */
  double fractionDone() {
    if (state == TaskState.TASK_STATE_SUCCEEDED) {
      return 1;
    }
    if (state == TaskState.TASK_STATE_LEASED && progress != null && progress.getTotal() > 0) {
      return Math.min(1, Math.max(0, (double) progress.getDone() / progress.getTotal()));
    }
    return 0;
  }

  // ------------------------------------------------ transitions (called by JobRecord, which
  // records the event)

  /** READY from {@code at} on; a new readiness starts a new queue age. */
  void ready(Instant at) {
    readyAt = at;
    readySince = at;
  }

  /** READY again at once, keeping its queue age (a hand-back, not a new readiness). */
  void readyNow(Instant now) {
    readyAt = now;
  }

  void lease(String workerId, String token, Instant expire, Instant now) {
    if (attempt == 0) {
      attempt = 1;
    }
    this.leaseToken = token;
    this.leaseExpire = expire;
    this.workerId = workerId;
    this.startTime = now;
    this.endTime = null;
    this.progress = null;
  }

  /**
   * After a restart, a lease loaded from the store runs at least until {@code until}: its worker
   * may be alive and beating into the outage, and deserves one lease to reach the new process.
   */
  public void extendRestoredLease(Instant until) {
    if (is(TaskState.TASK_STATE_LEASED) && leaseExpire.isBefore(until)) {
      leaseExpire = until;
    }
  }

  void renew(Instant expire) {
    leaseExpire = expire;
  }

  /** The task as it is now has been stored (called after a committed save). */
  void stored() {
    storedRow = row();
  }

  /**
   * What the store keeps of a task beside the job's message: its lease and readiness, one row a
   * task.
   */
  private record StoreRow(
      String leaseToken, Instant leaseExpire, Instant readyAt, Instant readySince) {}

  private StoreRow row() {
    return new StoreRow(leaseToken, leaseExpire, readyAt, readySince);
  }

  /**
   * Whether the store's row for this task still holds what memory does: a save of the job need not
   * write it again (most saves change one task of the job or none).
   */
  public boolean rowUnchanged() {
    return storedRow != null
        && storedRow.leaseToken().equals(leaseToken)
        && storedRow.leaseExpire().equals(leaseExpire)
        && storedRow.readyAt().equals(readyAt)
        && storedRow.readySince().equals(readySince);
  }

  /** The lease expiry as stored; memory may hold a later one. */
  public Instant storedLeaseExpire() {
    return storedRow == null ? Instant.EPOCH : storedRow.leaseExpire();
  }

  void progress(Progress p) {
    progress = p;
  }

  void nextAttempt() {
    attempt++;
  }

  /** Sets the state; returns the one before. */
  TaskState moveTo(TaskState to, JobError err, Instant now) {
    TaskState from = state;
    state = to;
    if (err != null) {
      lastError = err;
    }
    if (isTerminal()) {
      endTime = now;
    }
    return from;
  }

  /** The lease facts the Job message does not carry (the store keeps them beside it). */
  public void restoreLease(String token, Instant expire, Instant readyAt, Instant readySince) {
    this.leaseToken = token;
    this.leaseExpire = expire;
    this.readyAt = readyAt;
    this.readySince = readySince;
    this.storedRow = row();
  }

  public StageStatus toStatus() {
    StageStatus.Builder b =
        StageStatus.newBuilder()
            .setName(name())
            .setProcessor(processor())
            .setState(state)
            .setAttempt(attempt)
            .setMaxAttempts(maxAttempts())
            .setWorkerId(workerId)
            .addAllAfter(stage.getAfterList());
    if (progress != null) {
      b.setProgress(progress);
    }
    if (lastError != null) {
      b.setLastError(lastError);
    }
    if (startTime != null) {
      b.setStartTime(Protos.timestamp(startTime));
    }
    if (endTime != null) {
      b.setEndTime(Protos.timestamp(endTime));
    }
    return b.build();
  }

  /** Restores the fields the Job message carries. */
  void restore(StageStatus s) {
    state = s.getState();
    attempt = s.getAttempt();
    workerId = s.getWorkerId();
    progress = s.hasProgress() ? s.getProgress() : null;
    lastError = s.hasLastError() ? s.getLastError() : null;
    startTime = s.hasStartTime() ? Protos.instant(s.getStartTime()) : null;
    endTime = s.hasEndTime() ? Protos.instant(s.getEndTime()) : null;
  }
}
