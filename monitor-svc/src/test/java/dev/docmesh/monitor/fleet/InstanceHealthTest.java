package dev.docmesh.monitor.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.proto.monitor.v1.HealthState;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class InstanceHealthTest {
  private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");
  private static final Duration DOWN_AFTER = Duration.ofSeconds(15);

  @Test
  void newInstanceIsUnknownUntilItAnswersAndDownOnceItHasFailedForDownAfter() {
    InstanceHealth h = new InstanceHealth(T0, DOWN_AFTER);
    assertThat(h.state(T0.plusSeconds(60)))
        .as("no answer and no failure yet")
        .isEqualTo(HealthState.HEALTH_STATE_UNSPECIFIED);

    h.unreachable(T0.plusSeconds(61));
    assertThat(h.state(T0.plusSeconds(75))).isEqualTo(HealthState.HEALTH_STATE_UNSPECIFIED);
    assertThat(h.state(T0.plusSeconds(76))).isEqualTo(HealthState.HEALTH_STATE_DOWN);
    assertThat(h.lastChange(T0.plusSeconds(99))).isEqualTo(T0.plusSeconds(76));
  }

  @Test
  void unreachableInstanceKeepsItsStateUntilDownAfterThenIsDownFromThatMoment() {
    InstanceHealth h = new InstanceHealth(T0, DOWN_AFTER);
    h.reachable(ServingStatus.SERVING, T0.plusSeconds(1));
    h.unreachable(T0.plusSeconds(10));
    h.unreachable(T0.plusSeconds(12)); // later failures do not move the start

    assertThat(h.state(T0.plusSeconds(24))).isEqualTo(HealthState.HEALTH_STATE_SERVING);
    assertThat(h.lastChange(T0.plusSeconds(24))).isEqualTo(T0.plusSeconds(1));
    assertThat(h.state(T0.plusSeconds(25))).isEqualTo(HealthState.HEALTH_STATE_DOWN);
    assertThat(h.lastChange(T0.plusSeconds(99))).isEqualTo(T0.plusSeconds(25));
  }

  @Test
  void comingBackIsAChangeAndABriefOutageIsNot() {
    InstanceHealth h = new InstanceHealth(T0, DOWN_AFTER);
    h.reachable(ServingStatus.SERVING, T0);
    h.unreachable(T0.plusSeconds(1));
    h.reachable(ServingStatus.SERVING, T0.plusSeconds(3));
    assertThat(h.lastChange(T0.plusSeconds(4))).isEqualTo(T0);

    h.unreachable(T0.plusSeconds(10));
    h.reachable(ServingStatus.SERVING, T0.plusSeconds(40));
    assertThat(h.state(T0.plusSeconds(41))).isEqualTo(HealthState.HEALTH_STATE_SERVING);
    assertThat(h.lastChange(T0.plusSeconds(41))).isEqualTo(T0.plusSeconds(40));

    h.reachable(ServingStatus.NOT_SERVING, T0.plusSeconds(50));
    assertThat(h.state(T0.plusSeconds(50))).isEqualTo(HealthState.HEALTH_STATE_NOT_SERVING);
    assertThat(h.lastChange(T0.plusSeconds(50))).isEqualTo(T0.plusSeconds(50));
  }
}
