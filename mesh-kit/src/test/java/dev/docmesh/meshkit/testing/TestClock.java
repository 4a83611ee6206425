package dev.docmesh.meshkit.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock a test moves forward by hand: {@link #frozen()} stands still between moves (leases,
 * retention: nothing happens unless the test says so); {@link #running()} is real time plus the
 * moves (scrapes and health keep their pace while hours of repeat intervals and silences pass at
 * once).
 */
public final class TestClock extends Clock {
  private final Instant frozenAt; // null: running
  private volatile Duration ahead = Duration.ZERO;

  private TestClock(Instant frozenAt) {
    this.frozenAt = frozenAt;
  }

  public static TestClock frozen() {
    return new TestClock(Instant.now());
  }

  public static TestClock running() {
    return new TestClock(null);
  }

  public synchronized void advance(Duration d) {
    ahead = ahead.plus(d);
  }

  @Override
  public Instant instant() {
    return (frozenAt != null ? frozenAt : Instant.now()).plus(ahead);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
