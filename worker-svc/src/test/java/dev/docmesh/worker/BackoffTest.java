package dev.docmesh.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void doublesWithJitterUpToTheMaximumAndStartsOverAfterReset() {
    Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1));
    long[] ceilings = {100, 200, 400, 800, 1000, 1000, 1000};
    for (long ceiling : ceilings) {
      assertThat(backoff.next().toMillis()).isBetween(ceiling / 2, ceiling);
    }
    backoff.reset();
    assertThat(backoff.next().toMillis()).isBetween(50L, 100L);
  }

  @Test
  void delaysAreSpreadSoWorkersDoNotRetryInLockStep() {
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      seen.add(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(10)).next().toMillis());
    }
    assertThat(seen.size()).isGreaterThan(10);
  }
}
