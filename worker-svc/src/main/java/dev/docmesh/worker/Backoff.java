package dev.docmesh.worker;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter: many workers that lost the same orchestrator at the same
 * moment must not come back in lock-step. Not thread-safe; one per retrying loop.
 */
final class Backoff {
  private final long initialNanos;
  private final long maxNanos;
  private int failures;

  Backoff(Duration initial, Duration max) {
    this.initialNanos = Math.max(1, initial.toNanos());
    this.maxNanos = Math.max(initialNanos, max.toNanos());
  }

  /**
   * The delay before the next attempt: random in [ceiling/2, ceiling], the ceiling doubling per
   * failure.
   */
  Duration next() {
    long ceiling = initialNanos << Math.min(failures, 30);
    if (ceiling <= 0 || ceiling > maxNanos) {
      ceiling = maxNanos;
    }
    failures++;
    return Duration.ofNanos(ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1));
  }

  void reset() {
    failures = 0;
  }
}
