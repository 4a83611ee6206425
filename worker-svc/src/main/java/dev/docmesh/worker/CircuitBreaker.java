package dev.docmesh.worker;

import io.prometheus.client.Gauge;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops calls to a target that keeps answering UNAVAILABLE. After {@code threshold} consecutive
 * failures the circuit opens for the cool-down; then exactly one probe call is let through, whose
 * outcome closes the circuit or opens it for another cool-down.
 */
final class CircuitBreaker {
  private static final Logger log = LoggerFactory.getLogger(CircuitBreaker.class);

  enum State {
    CLOSED,
    OPEN,
    HALF_OPEN
  }

  private final String target;
  private final int threshold;
  private final long cooldownNanos;
  private final Gauge.Child openGauge;
  private final LongSupplier clock;
  private final Runnable onProbe;
  private State state = State.CLOSED;
  private int consecutiveFailures;
  private long changedAt;

  /** {@code onProbe} runs when the probe is let through, e.g. to reconnect the channel at once. */
  CircuitBreaker(
      String target,
      int threshold,
      Duration cooldown,
      Gauge openGauge,
      LongSupplier clock,
      Runnable onProbe) {
    this.target = target;
    this.onProbe = onProbe;
    this.threshold = threshold;
    this.cooldownNanos = cooldown.toNanos();
    this.openGauge = openGauge.labels(target);
    this.openGauge.set(0);
    this.clock = clock;
  }

  CircuitBreaker(
      String target, int threshold, Duration cooldown, Gauge openGauge, Runnable onProbe) {
    this(target, threshold, cooldown, openGauge, System::nanoTime, onProbe);
  }

  /**
   * May a call go out now? True while closed; once the cool-down is over, true for one probe. A
   * probe that never reports back (its caller died) is replaced after another cool-down.
   */
  synchronized boolean tryAcquire() {
    switch (state) {
      case CLOSED:
        return true;
      case OPEN:
      case HALF_OPEN:
        if (clock.getAsLong() - changedAt < cooldownNanos) {
          return false;
        }
        move(State.HALF_OPEN);
        onProbe.run();
        return true;
      default:
        throw new IllegalStateException(state.name());
    }
  }

  /** True when a call would be let through now, without taking the probe. */
  synchronized boolean isCallPermitted() {
    return state == State.CLOSED || clock.getAsLong() - changedAt >= cooldownNanos;
  }

  /** The target answered (any status but UNAVAILABLE). */
  synchronized void onSuccess() {
    consecutiveFailures = 0;
    if (state != State.CLOSED) {
      move(State.CLOSED);
    }
  }

  /** The target was unreachable. */
  synchronized void onFailure() {
    consecutiveFailures++;
    if (state == State.HALF_OPEN || (state == State.CLOSED && consecutiveFailures >= threshold)) {
      move(State.OPEN);
    }
  }

  synchronized State state() {
    return state;
  }

  String target() {
    return target;
  }

  private void move(State next) {
    if (next != state) {
      log.atInfo()
          .addKeyValue("target", target)
          .addKeyValue("from", state)
          .addKeyValue("to", next)
          .log("circuit to {} is {}", target, next);
    }
    state = next;
    changedAt = clock.getAsLong();
    openGauge.set(next == State.CLOSED ? 0 : 1);
  }
}
