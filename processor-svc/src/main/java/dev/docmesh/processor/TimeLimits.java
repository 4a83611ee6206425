package dev.docmesh.processor;

import io.grpc.Deadline;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * When the processor runs of one Process call must stop. The server's limit ({@code
 * DOCMESH_PROCESSOR_TIMEOUT}) and a step's own timeout count from the start of each run (a call
 * with steps is several runs, each bounded as a call of its own would be); the client's deadline
 * counts from the call's start and covers them all. The sooner limit binds.
 */
final class TimeLimits {
  /**
   * The limit of one processor run.
   *
   * @param deadlineNanos the {@code System.nanoTime()} at which it must stop
   * @param allowed the time that limit allows (what LIMIT_TIME reports)
   * @param ours the server's or the step's limit, which the server must enforce with a timer; not
   *     ours: the client's deadline, which ends the call by itself
   */
  record Limit(long deadlineNanos, Duration allowed, boolean ours) {}

  private final long startNanos;
  private final Duration serverLimit;
  private final long clientNanos; // the client's deadline, from startNanos; Long.MAX_VALUE: none

  TimeLimits(long startNanos, Duration serverLimit, Deadline clientDeadline) {
    this.startNanos = startNanos;
    this.serverLimit = serverLimit;
    this.clientNanos =
        clientDeadline == null
            ? Long.MAX_VALUE
            : Math.max(0, clientDeadline.timeRemaining(TimeUnit.NANOSECONDS));
  }

  /**
   * The limit of a run that starts at {@code runStartNanos}, with its own {@code timeout} (null:
   * none).
   */
  Limit forRun(long runStartNanos, Duration timeout) {
    long elapsed = runStartNanos - startNanos;
    long left = serverLimit.toNanos();
    Duration allowed = serverLimit;
    if (timeout != null && timeout.toNanos() < left) {
      left = timeout.toNanos();
      allowed = timeout;
    }
    if (clientNanos != Long.MAX_VALUE && clientNanos - elapsed <= left) {
      return new Limit(startNanos + clientNanos, Duration.ofNanos(clientNanos), false);
    }
    return new Limit(runStartNanos + left, allowed, true);
  }
}
