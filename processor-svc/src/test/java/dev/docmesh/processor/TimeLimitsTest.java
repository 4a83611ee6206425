package dev.docmesh.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Deadline;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Which limit binds a processor run of a call: the server's, the step's or the client's. */
class TimeLimitsTest {
  private static final long START = 1_000_000_000L;
  private static final Duration SERVER = Duration.ofSeconds(120);

  @Test
  void theCallsOwnProcessorHasTheServersLimitFromTheCallsStart() {
    TimeLimits limits = new TimeLimits(START, SERVER, null);

    assertThat(limits.forRun(START, null))
        .isEqualTo(new TimeLimits.Limit(START + SERVER.toNanos(), SERVER, true));
  }

  @Test
  void aStepHasItsOwnTimeoutOrTheServersLimitFromTheStepsStart() {
    // a step is bounded as a call of its own would be: a chain of steps is not one long call
    TimeLimits limits = new TimeLimits(START, SERVER, null);
    long tenSecondsIn = START + seconds(10);
    long twoMinusOne = START + seconds(118);

    assertThat(limits.forRun(tenSecondsIn, Duration.ofSeconds(5)))
        .isEqualTo(new TimeLimits.Limit(tenSecondsIn + seconds(5), Duration.ofSeconds(5), true));
    assertThat(limits.forRun(twoMinusOne, Duration.ofSeconds(5)))
        .isEqualTo(new TimeLimits.Limit(twoMinusOne + seconds(5), Duration.ofSeconds(5), true));
    assertThat(limits.forRun(tenSecondsIn, null))
        .isEqualTo(new TimeLimits.Limit(tenSecondsIn + SERVER.toNanos(), SERVER, true));
    assertThat(limits.forRun(tenSecondsIn, Duration.ofMinutes(10)))
        .isEqualTo(new TimeLimits.Limit(tenSecondsIn + SERVER.toNanos(), SERVER, true));
  }

  @Test
  void aSoonerClientDeadlineBindsAndIsLeftToTheClient() {
    TimeLimits limits =
        new TimeLimits(START, SERVER, Deadline.after(3, TimeUnit.SECONDS, fixedTicker()));
    long oneSecondIn = START + seconds(1);

    assertThat(limits.forRun(START, null))
        .isEqualTo(new TimeLimits.Limit(START + seconds(3), Duration.ofSeconds(3), false));
    assertThat(limits.forRun(oneSecondIn, Duration.ofSeconds(5)))
        .isEqualTo(new TimeLimits.Limit(START + seconds(3), Duration.ofSeconds(3), false));
    assertThat(limits.forRun(oneSecondIn, Duration.ofMillis(500)))
        .isEqualTo(
            new TimeLimits.Limit(oneSecondIn + seconds(1) / 2, Duration.ofMillis(500), true));
  }

  private static long seconds(long n) {
    return TimeUnit.SECONDS.toNanos(n);
  }

  /** Time stands still: the deadline has exactly the time it was made with. */
  private static Deadline.Ticker fixedTicker() {
    return new Deadline.Ticker() {
      @Override
      public long nanoTime() {
        return 0;
      }
    };
  }
}
