package dev.docmesh.monitor.fleet;

import dev.docmesh.proto.monitor.v1.HealthState;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.time.Duration;
import java.time.Instant;

/**
 * Health of one instance as its health stream reports it. An instance that cannot be reached keeps
 * its last reported state for {@code downAfter} (a reconnect or a restart is not an outage), then
 * is DOWN — and DOWN dates from that moment, not from when someone asked.
 */
public final class InstanceHealth {
  private final Duration downAfter;
  private HealthState reported = HealthState.HEALTH_STATE_UNSPECIFIED;
  private Instant reportedAt;
  private Instant unreachableSince;

  /**
   * A new instance is not known until its first health call answers or fails. Counting from
   * discovery instead would make the monitor's own cold start (first connections, class loading)
   * look like outages of everything it watches.
   */
  public InstanceHealth(Instant discoveredAt, Duration downAfter) {
    this.downAfter = downAfter;
    this.reportedAt = discoveredAt;
  }

  public synchronized void reachable(ServingStatus status, Instant now) {
    HealthState state =
        status == ServingStatus.SERVING
            ? HealthState.HEALTH_STATE_SERVING
            : HealthState.HEALTH_STATE_NOT_SERVING;
    if (state != state(now)) {
      reportedAt = now;
    }
    reported = state;
    unreachableSince = null;
  }

  public synchronized void unreachable(Instant now) {
    if (unreachableSince == null) {
      unreachableSince = now;
    }
  }

  public synchronized HealthState state(Instant now) {
    return isDown(now) ? HealthState.HEALTH_STATE_DOWN : reported;
  }

  /**
   * When the state last changed; DOWN dates from when the instance had been unreachable long
   * enough.
   */
  public synchronized Instant lastChange(Instant now) {
    return isDown(now) ? unreachableSince.plus(downAfter) : reportedAt;
  }

  private boolean isDown(Instant now) {
    return unreachableSince != null && !now.isBefore(unreachableSince.plus(downAfter));
  }
}
