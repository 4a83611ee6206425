package dev.docmesh.orchestrator;

import java.time.Duration;

/**
 * What the orchestrator's core refuses or cannot do, in its own terms. The gRPC edge turns each
 * kind into a status with {@code google.rpc} details in one place ({@code grpc.FailureStatus}), so
 * the core never builds transport errors and the reasons clients rely on live in one table.
 */
public abstract sealed class Failure extends RuntimeException {
  private Failure(String message, Throwable cause) {
    super(message, cause);
  }

  /** A request field is malformed or out of range. */
  public static final class InvalidArgument extends Failure {
    private final String field;
    private final String description;

    public InvalidArgument(String field, String description) {
      super(field + ": " + description, null);
      this.field = field;
      this.description = description;
    }

    public String field() {
      return field;
    }

    public String description() {
      return description;
    }
  }

  /** An id that names nothing (any more). */
  public static final class NotFound extends Failure {
    private final String resourceType;
    private final String name;

    public NotFound(String resourceType, String name) {
      super(resourceType + " " + name + " not found", null);
      this.resourceType = resourceType;
      this.name = name;
    }

    public String resourceType() {
      return resourceType;
    }

    public String name() {
      return name;
    }
  }

  /** A worker acted on a task with a lease token that is not (any more) the current one. */
  public static final class LeaseStale extends Failure {
    private final String taskId;

    public LeaseStale(String taskId, String why) {
      super("task " + taskId + ": " + why, null);
      this.taskId = taskId;
    }

    public String taskId() {
      return taskId;
    }
  }

  /** A job's result was asked for before the job ended. */
  public static final class JobNotFinished extends Failure {
    public JobNotFinished(String message) {
      super(message, null);
    }
  }

  /**
   * Too much is already waiting (unfinished tasks, or a watcher's backlog): try again after {@code
   * retryAfter}.
   */
  public static final class Backlog extends Failure {
    private final String reason;
    private final Duration retryAfter;
    private final java.util.Map<String, String> metadata;

    private Backlog(
        String reason,
        String message,
        Duration retryAfter,
        java.util.Map<String, String> metadata) {
      super(message, null);
      this.reason = reason;
      this.retryAfter = retryAfter;
      this.metadata = java.util.Map.copyOf(metadata);
    }

    /** SubmitJob would exceed the unfinished-task limit. */
    public static Backlog queueFull(String message, Duration retryAfter) {
      return new Backlog("QUEUE_FULL", message, retryAfter, java.util.Map.of());
    }

    /**
     * A WatchJobs reader fell too far behind; {@code resume} says how to pick up again (ErrorInfo
     * metadata).
     */
    public static Backlog watcherTooSlow(
        String message, Duration retryAfter, java.util.Map<String, String> resume) {
      return new Backlog("WATCHER_TOO_SLOW", message, retryAfter, resume);
    }

    /** ErrorInfo metadata: how to resume, where that applies. */
    public java.util.Map<String, String> metadata() {
      return metadata;
    }

    public String reason() {
      return reason;
    }

    public Duration retryAfter() {
      return retryAfter;
    }
  }

  /**
   * The orchestrator cannot serve now (it is stopping, or cannot read what a task needs); a retry
   * may succeed.
   */
  public static final class Unavailable extends Failure {
    public Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * The data directory refused a write (job store or documents): nothing of the call was kept, and
   * the same call (same request_id) may succeed after {@code retryAfter}. {@code full} when the
   * disk is full (ENOSPC, SQLITE_FULL): reason STORE_FULL, else STORE_UNAVAILABLE.
   */
  public static final class StoreUnavailable extends Failure {
    private final boolean full;
    private final Duration retryAfter;

    public StoreUnavailable(String message, boolean full, Duration retryAfter, Throwable cause) {
      super(message, cause);
      this.full = full;
      this.retryAfter = retryAfter;
    }

    public String reason() {
      return full ? "STORE_FULL" : "STORE_UNAVAILABLE";
    }

    public boolean full() {
      return full;
    }

    public Duration retryAfter() {
      return retryAfter;
    }
  }

  /** The orchestrator's own fault, e.g. a document it cannot read or write. */
  public static final class Internal extends Failure {
    public Internal(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
