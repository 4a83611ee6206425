package dev.docmesh.orchestrator.model;

import dev.docmesh.orchestrator.Ids;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.orchestrator.v1.JobError;
import dev.docmesh.proto.orchestrator.v1.Stage;
import dev.docmesh.proto.orchestrator.v1.StageStatus;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import java.time.Duration;
import java.time.Instant;

/** One stage of one job as the engine tracks it. Mutated only under the engine's lock. */
public final class TaskRecord {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  private final String jobId;
  private final Stage stage;
  public TaskState state = TaskState.TASK_STATE_BLOCKED;
  public int attempt;
  public String leaseToken = "";
  public Instant leaseExpire = Instant.EPOCH;
  /** Not dispatched before this instant (retry backoff). */
  public Instant readyAt = Instant.EPOCH;
  /** When it last became READY: the start of its queue age. */
  public Instant readySince = Instant.EPOCH;
  public String workerId = "";
  public Progress progress;
  public JobError lastError;
  public Instant startTime;
  public Instant endTime;

  public TaskRecord(String jobId, Stage stage) {
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

  public boolean isTerminal() {
    return state == TaskState.TASK_STATE_SUCCEEDED
        || state == TaskState.TASK_STATE_FAILED
        || state == TaskState.TASK_STATE_CANCELLED;
  }

  public int maxAttempts() {
    int m = stage.getRetry().getMaxAttempts();
    return m == 0 ? 3 : m;
  }

  public Duration timeout() {
    return stage.hasTimeout() ? Protos.duration(stage.getTimeout()) : DEFAULT_TIMEOUT;
  }

  /** Wait before attempt {@code attempt + 1}: initial × multiplier^(attempt−1), capped at max. */
  public Duration backoffAfter(int attempt) {
    Duration initial = stage.getRetry().hasInitialBackoff() ? Protos.duration(stage.getRetry().getInitialBackoff()) : Duration.ofSeconds(1);
    Duration max = stage.getRetry().hasMaxBackoff() ? Protos.duration(stage.getRetry().getMaxBackoff()) : Duration.ofSeconds(30);
    double mult = stage.getRetry().getBackoffMultiplier() == 0 ? 2.0 : stage.getRetry().getBackoffMultiplier();
    double nanos = initial.toNanos() * Math.pow(mult, Math.max(0, attempt - 1));
    return nanos >= max.toNanos() ? max : Duration.ofNanos((long) nanos);
  }

  /** Share of this stage done, 0 to 1, for the job's progress_percent. */
  public double fractionDone() {
    if (state == TaskState.TASK_STATE_SUCCEEDED) {
      return 1;
    }
    if (state == TaskState.TASK_STATE_LEASED && progress != null && progress.getTotal() > 0) {
      return Math.min(1, Math.max(0, (double) progress.getDone() / progress.getTotal()));
    }
    return 0;
  }

  public StageStatus toStatus() {
    StageStatus.Builder b = StageStatus.newBuilder()
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
  public void restore(StageStatus s) {
    state = s.getState();
    attempt = s.getAttempt();
    workerId = s.getWorkerId();
    progress = s.hasProgress() ? s.getProgress() : null;
    lastError = s.hasLastError() ? s.getLastError() : null;
    startTime = s.hasStartTime() ? Protos.instant(s.getStartTime()) : null;
    endTime = s.hasEndTime() ? Protos.instant(s.getEndTime()) : null;
  }
}
