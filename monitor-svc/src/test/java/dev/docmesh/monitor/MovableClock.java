package dev.docmesh.monitor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * Real time plus however far the test has moved it on: scrapes and health keep their usual pace,
 * while hours of repeat intervals and silences pass at once.
 */
final class MovableClock extends Clock {
  private volatile Duration ahead = Duration.ZERO;

  synchronized void advance(Duration d) {
    ahead = ahead.plus(d);
  }

  @Override
  public Instant instant() {
    return Instant.now().plus(ahead);
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
