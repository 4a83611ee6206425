package dev.docmesh.monitor.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Golden signals from counter and histogram deltas, with hand-made snapshots. */
class TrafficTest {
  private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");
  private static final double INF = Double.POSITIVE_INFINITY;

  @Test
  void requestsPerSecondAndErrorRateComeFromDeltasNotTotals() {
    Snapshot a = SnapshotBuilder.at(T0).rpcs("Get", 1000, 100).build();
    Snapshot b = SnapshotBuilder.at(T0.plusSeconds(10)).rpcs("Get", 1090, 110).build();

    Traffic t = Traffic.of(List.of(a, b));

    assertThat(t.requests()).isEqualTo(100);
    assertThat(t.requestsPerSecond()).isCloseTo(10.0, within(1e-9));
    assertThat(t.errorRate()).isCloseTo(0.10, within(1e-9));
  }

  @Test
  void monitoringTrafficDoesNotCount() {
    Snapshot a =
        SnapshotBuilder.at(T0)
            .sample(
                "grpc_server_handled_total",
                5,
                "grpc_service",
                "grpc.health.v1.Health",
                "grpc_code",
                "OK")
            .build();
    Snapshot b =
        SnapshotBuilder.at(T0.plusSeconds(5))
            .sample(
                "grpc_server_handled_total",
                50,
                "grpc_service",
                "grpc.health.v1.Health",
                "grpc_code",
                "OK")
            .sample(
                "grpc_server_handled_total",
                9,
                "grpc_service",
                "docmesh.telemetry.v1.TelemetryService",
                "grpc_code",
                "OK")
            .build();

    assertThat(Traffic.of(List.of(a, b)).requests()).isZero();
  }

  @Test
  void seriesThatAppearsBetweenScrapesCountsFromZero() {
    Snapshot a = SnapshotBuilder.at(T0).rpcs("Get", 10, 0).build();
    Snapshot b = SnapshotBuilder.at(T0.plusSeconds(10)).rpcs("Get", 10, 3).build();

    Traffic t = Traffic.of(List.of(a, b));

    assertThat(t.errors()).isEqualTo(3);
    assertThat(t.errorRate()).isEqualTo(1.0);
  }

  @Test
  void restartedInstanceIsDetectedByItsStartTime() {
    Instant restart = T0.plusSeconds(7);
    Snapshot a = SnapshotBuilder.at(T0).rpcs("Get", 1000, 0).build();
    // after the restart the counter is already above its old value: only start_time tells
    Snapshot b =
        SnapshotBuilder.at(T0.plusSeconds(10)).started(restart).rpcs("Get", 1200, 0).build();

    assertThat(Traffic.of(List.of(a, b)).requests()).isEqualTo(1200);
  }

  @Test
  void decreasingCounterIsAResetEvenWithTheSameStartTime() {
    Snapshot a = SnapshotBuilder.at(T0).rpcs("Get", 1000, 0).build();
    Snapshot b = SnapshotBuilder.at(T0.plusSeconds(10)).rpcs("Get", 30, 0).build();
    Snapshot c = SnapshotBuilder.at(T0.plusSeconds(20)).rpcs("Get", 80, 0).build();

    Traffic t = Traffic.of(List.of(a, b, c));

    assertThat(t.requests()).isEqualTo(30 + 50);
    assertThat(t.requestsPerSecond()).isCloseTo(4.0, within(1e-9));
  }

  @Test
  void percentilesInterpolateInsideTheBucketOfTheBucketDeltas() {
    // before: 1000 old fast calls that must not influence the window
    Snapshot a =
        SnapshotBuilder.at(T0).latency("Get", 0.01, 1000, 0.1, 1000, 1.0, 1000, INF, 1000).build();
    // in the window: 50 calls <= 10 ms, 40 in (10 ms, 100 ms], 10 in (100 ms, 1 s]
    Snapshot b =
        SnapshotBuilder.at(T0.plusSeconds(10))
            .latency("Get", 0.01, 1050, 0.1, 1090, 1.0, 1100, INF, 1100)
            .build();

    Traffic t = Traffic.of(List.of(a, b));

    assertThat(t.quantile(0.50))
        .isCloseTo(0.01, within(1e-9)); // rank 50 is the top of the first bucket
    assertThat(t.quantile(0.95)).isCloseTo(0.1 + 0.9 * 5 / 10, within(1e-9));
    assertThat(t.quantile(0.99)).isCloseTo(0.1 + 0.9 * 9 / 10, within(1e-9));
    assertThat(t.toProto().getLatencyP99().getNanos()).isEqualTo(910_000_000);
  }

  @Test
  void longPollsCountAsRequestsButNotInTheLatency() {
    Snapshot a =
        SnapshotBuilder.at(T0)
            .rpcs("PollTask", 0, 0)
            .latency("PollTask", 1.0, 0, INF, 0)
            .latency("Get", 1.0, 0, INF, 0)
            .build();
    Snapshot b =
        SnapshotBuilder.at(T0.plusSeconds(10))
            .rpcs("PollTask", 5, 0)
            .latency("PollTask", 1.0, 0, INF, 5)
            .latency("Get", 1.0, 10, INF, 10)
            .build();

    Traffic t = Traffic.of(List.of(a, b));

    assertThat(t.requests()).isEqualTo(5);
    assertThat(t.quantile(0.99)).isLessThanOrEqualTo(1.0);
    assertThat(t.buckets()).containsEntry(INF, 10.0);
  }

  @Test
  void quantileInTheInfBucketIsTheHighestFiniteBound() {
    Snapshot a = SnapshotBuilder.at(T0).latency("Get", 1.0, 0, INF, 0).build();
    Snapshot b = SnapshotBuilder.at(T0.plusSeconds(10)).latency("Get", 1.0, 1, INF, 10).build();

    assertThat(Traffic.of(List.of(a, b)).quantile(0.99)).isEqualTo(1.0);
  }

  @Test
  void histogramResetIsHandledPerBucket() {
    Snapshot a = SnapshotBuilder.at(T0).latency("Get", 0.1, 500, INF, 600).build();
    Snapshot b =
        SnapshotBuilder.at(T0.plusSeconds(10))
            .started(T0.plusSeconds(5))
            .latency("Get", 0.1, 10, INF, 10)
            .build();

    Traffic t = Traffic.of(List.of(a, b));

    assertThat(t.buckets()).containsEntry(0.1, 10.0).containsEntry(INF, 10.0);
    assertThat(t.quantile(0.5)).isCloseTo(0.05, within(1e-9));
  }

  @Test
  void servicesAddTheirInstancesUp() {
    Traffic one =
        Traffic.of(
            List.of(
                SnapshotBuilder.at(T0).rpcs("Get", 0, 0).latency("Get", 0.1, 0, INF, 0).build(),
                SnapshotBuilder.at(T0.plusSeconds(10))
                    .rpcs("Get", 100, 0)
                    .latency("Get", 0.1, 100, INF, 100)
                    .build()));
    Traffic two =
        Traffic.of(
            List.of(
                SnapshotBuilder.at(T0).rpcs("Get", 0, 0).latency("Get", 0.1, 0, INF, 0).build(),
                SnapshotBuilder.at(T0.plusSeconds(5))
                    .rpcs("Get", 0, 100)
                    .latency("Get", 0.1, 0, INF, 100)
                    .build()));

    Traffic sum = one.plus(two);

    assertThat(sum.requestsPerSecond()).isCloseTo(10 + 20, within(1e-9));
    assertThat(sum.errorRate()).isCloseTo(0.5, within(1e-9));
    assertThat(sum.quantile(0.5)).isCloseTo(0.1, within(1e-9));
    assertThat(sum.quantile(0.99)).isEqualTo(0.1);
  }

  @Test
  void nothingMeasuredIsNoTrafficNotAnError() {
    assertThat(Traffic.of(List.of()).requestsPerSecond()).isZero();
    assertThat(Traffic.of(List.of(SnapshotBuilder.at(T0).rpcs("Get", 5, 5).build())).errorRate())
        .isZero();
    assertThat(Traffic.NONE.quantile(0.99)).isNaN();
    assertThat(Traffic.NONE.toProto().hasLatencyP99()).isFalse();
  }
}
