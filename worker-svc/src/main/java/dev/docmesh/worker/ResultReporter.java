package dev.docmesh.worker;

import dev.docmesh.meshkit.grpc.Errors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers a task's result (CompleteTask or FailTask) until the orchestrator either accepts it or
 * rejects it: work that is done is never dropped because the orchestrator was briefly unreachable,
 * and a stale lease (the task was re-leased meanwhile) ends the attempts.
 */
final class ResultReporter {
  private static final Logger log = LoggerFactory.getLogger(ResultReporter.class);
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  /** How delivery ended. */
  enum Delivery {
    ACCEPTED,
    /** The orchestrator said no for good, e.g. LEASE_STALE. */
    REJECTED,
    /** The worker stopped before the orchestrator answered. */
    ABANDONED
  }

  private final Duration backoffInitial;
  private final Duration backoffMax;
  private final CountDownLatch abandon;
  private final Runnable beforeRetry;

  /** {@code beforeRetry} runs before each new attempt, e.g. to reconnect the channel at once. */
  ResultReporter(
      Duration backoffInitial, Duration backoffMax, CountDownLatch abandon, Runnable beforeRetry) {
    this.backoffInitial = backoffInitial;
    this.backoffMax = backoffMax;
    this.abandon = abandon;
    this.beforeRetry = beforeRetry;
  }

  /** {@code call} makes one attempt with the given deadline and throws on failure. */
  Delivery deliver(String what, String taskId, Consumer<Duration> call) {
    Backoff backoff = new Backoff(backoffInitial, backoffMax);
    while (true) {
      try {
        call.accept(CALL_TIMEOUT);
        return Delivery.ACCEPTED;
      } catch (StatusRuntimeException e) {
        if (!isTransient(e.getStatus().getCode())) {
          log.atWarn()
              .addKeyValue("task_id", taskId)
              .log("{} rejected: {} {}", what, e.getStatus(), Errors.reason(e).orElse(""));
          return Delivery.REJECTED;
        }
        Duration delay = backoff.next();
        log.atWarn()
            .addKeyValue("task_id", taskId)
            .log(
                "{} not delivered ({}); retrying in {} ms",
                what,
                e.getStatus().getCode(),
                delay.toMillis());
        if (await(delay)) {
          log.atWarn().addKeyValue("task_id", taskId).log("{} abandoned: worker stopping", what);
          return Delivery.ABANDONED;
        }
        beforeRetry.run();
      }
    }
  }

  static boolean isTransient(Status.Code code) {
    return switch (code) {
      case UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNKNOWN, INTERNAL -> true;
      default -> false;
    };
  }

  private boolean await(Duration delay) {
    try {
      return abandon.await(delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }
}
