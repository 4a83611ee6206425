package dev.docmesh.monitor.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.monitor.fleet.InstanceView;
import dev.docmesh.monitor.fleet.MeshView;
import dev.docmesh.monitor.metrics.Snapshot;
import dev.docmesh.monitor.metrics.SnapshotBuilder;
import dev.docmesh.proto.monitor.v1.HealthState;
import dev.docmesh.proto.monitor.v1.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each built-in condition against hand-made instances and snapshots. */
class ConditionsTest {
  private static final Instant NOW = Instant.parse("2026-11-23T10:10:00Z");
  private static final double INF = Double.POSITIVE_INFINITY;

  private record Inst(String service, String address, HealthState health, List<Snapshot> snapshots)
      implements InstanceView {
    @Override
    public Instant lastChange() {
      return NOW;
    }

    @Override
    public String instanceId() {
      return address;
    }

    @Override
    public Optional<Snapshot> latest() {
      return snapshots.isEmpty()
          ? Optional.empty()
          : Optional.of(snapshots.get(snapshots.size() - 1));
    }

    @Override
    public List<Snapshot> window(Duration window) {
      Instant from = NOW.minus(window);
      List<Snapshot> out = new ArrayList<>();
      for (Snapshot s : snapshots) {
        if (!s.scrapedAt().isBefore(from)) {
          out.add(s);
        } else {
          out.clear();
          out.add(s); // the baseline: the last one before the window
        }
      }
      return out;
    }

    @Override
    public List<Snapshot> recent() {
      return snapshots.subList(Math.max(0, snapshots.size() - 2), snapshots.size());
    }
  }

  private record Mesh(Set<String> services, List<InstanceView> instances) implements MeshView {
    @Override
    public Instant now() {
      return NOW;
    }
  }

  private static Inst serving(String service, Snapshot... snapshots) {
    return new Inst(service, service + ":1", HealthState.HEALTH_STATE_SERVING, List.of(snapshots));
  }

  private static List<Observation> check(
      String condition, double threshold, Duration window, InstanceView... instances) {
    AlertRule rule =
        new AlertRule(
            "R",
            condition,
            Conditions.byName(condition),
            threshold,
            window,
            Duration.ZERO,
            Duration.ZERO,
            Severity.SEVERITY_WARNING,
            Map.of(),
            Map.of(),
            Map.of());
    Set<String> services = new java.util.TreeSet<>(Set.of("orchestrator", "processor", "worker"));
    return rule.condition().breaches(new Mesh(services, List.of(instances)), rule);
  }

  @Test
  void instanceDownAndNoHealthyInstance() {
    Inst down = new Inst("processor", "p:1", HealthState.HEALTH_STATE_DOWN, List.of());
    Inst draining = new Inst("worker", "w:1", HealthState.HEALTH_STATE_NOT_SERVING, List.of());
    Inst unknown = new Inst("orchestrator", "o:1", HealthState.HEALTH_STATE_UNSPECIFIED, List.of());

    assertThat(check("instance_down", 0, Duration.ZERO, down, draining, unknown))
        .containsExactly(new Observation(Map.of("service", "processor", "instance", "p:1"), 1));
    assertThat(check("no_healthy_instance", 0, Duration.ZERO, down, draining, unknown))
        .extracting(o -> o.labels().get("service"))
        .as("not yet known is no evidence")
        .containsExactlyInAnyOrder("processor", "worker");
    assertThat(
            check(
                "no_healthy_instance",
                0,
                Duration.ZERO,
                serving("orchestrator"),
                serving("processor")))
        .as("a service with no instance at all has no healthy one")
        .extracting(o -> o.labels().get("service"))
        .containsExactly("worker");
  }

  @Test
  void errorRateAndP99AreTakenOverTheRuleWindow() {
    Inst orchestrator =
        serving(
            "orchestrator",
            SnapshotBuilder.at(NOW.minusSeconds(600))
                .rpcs("Get", 0, 0)
                .latency("Get", 0.1, 0, 5, 0, INF, 0)
                .build(),
            // 10 minutes ago: a burst of errors and slow calls that the 5-minute window must not
            // see
            SnapshotBuilder.at(NOW.minusSeconds(400))
                .rpcs("Get", 0, 1000)
                .latency("Get", 0.1, 0, 5, 0, INF, 1000)
                .build(),
            SnapshotBuilder.at(NOW.minusSeconds(300))
                .rpcs("Get", 0, 1000)
                .latency("Get", 0.1, 0, 5, 0, INF, 1000)
                .build(),
            // in the window: 90 OK + 10 errors; 90 calls <= 100 ms, 10 in (100 ms, 5 s]
            SnapshotBuilder.at(NOW)
                .rpcs("Get", 90, 1010)
                .latency("Get", 0.1, 90, 5, 100, INF, 1100)
                .build());

    assertThat(check("error_rate", 0.05, Duration.ofMinutes(5), orchestrator))
        .singleElement()
        .satisfies(o -> assertThat(o.value()).isEqualTo(0.1));
    assertThat(check("error_rate", 0.2, Duration.ofMinutes(5), orchestrator)).isEmpty();
    assertThat(check("latency_p99", 2.0, Duration.ofMinutes(5), orchestrator))
        .singleElement()
        .satisfies(
            o ->
                assertThat(o.value())
                    .isCloseTo(0.1 + 4.9 * 9 / 10, org.assertj.core.api.Assertions.within(1e-9)));
    assertThat(check("latency_p99", 2.0, Duration.ofMinutes(2), serving("orchestrator"))).isEmpty();
  }

  @Test
  void queueGaugesTakeTheHighestReplicaNotTheSum() {
    Inst a =
        serving(
            "orchestrator",
            SnapshotBuilder.at(NOW)
                .sample("docmesh_queue_depth", 700, "processor", "pdf.text")
                .sample("docmesh_queue_depth", 400, "processor", "pdf.metadata")
                .sample("docmesh_queue_oldest_age_seconds", 90)
                .build());
    Inst b =
        new Inst(
            "orchestrator",
            "o:2",
            HealthState.HEALTH_STATE_SERVING,
            List.of(
                SnapshotBuilder.at(NOW)
                    .sample("docmesh_queue_depth", 1100, "processor", "pdf.text")
                    .build()));

    assertThat(check("queue_depth", 1000, Duration.ZERO, a, b))
        .singleElement()
        .satisfies(o -> assertThat(o.value()).isEqualTo(1100));
    assertThat(check("queue_depth", 1100, Duration.ZERO, a, b)).isEmpty();
    assertThat(check("queue_oldest_age", 60, Duration.ZERO, a, b))
        .singleElement()
        .satisfies(o -> assertThat(o.value()).isEqualTo(90));
  }

  @Test
  void noWorkerPollingNeedsHistoryCoveringTheWindow() {
    Snapshot old =
        SnapshotBuilder.at(NOW.minusSeconds(200))
            .sample("grpc_server_started_total", 5, "grpc_method", "PollTask")
            .build();
    Snapshot idle =
        SnapshotBuilder.at(NOW)
            .sample("grpc_server_started_total", 5, "grpc_method", "PollTask")
            .build();
    Snapshot polled =
        SnapshotBuilder.at(NOW)
            .sample("grpc_server_started_total", 6, "grpc_method", "PollTask")
            .build();
    Snapshot recent =
        SnapshotBuilder.at(NOW.minusSeconds(60))
            .sample("grpc_server_started_total", 5, "grpc_method", "PollTask")
            .build();

    assertThat(
            check(
                "no_worker_polling", 0, Duration.ofMinutes(3), serving("orchestrator", old, idle)))
        .hasSize(1);
    assertThat(
            check(
                "no_worker_polling",
                0,
                Duration.ofMinutes(3),
                serving("orchestrator", old, polled)))
        .isEmpty();
    assertThat(
            check(
                "no_worker_polling",
                0,
                Duration.ofMinutes(3),
                serving("orchestrator", recent, idle)))
        .as("one minute of history says nothing about three")
        .isEmpty();
    Snapshot completed =
        SnapshotBuilder.at(NOW)
            .sample("grpc_server_started_total", 5, "grpc_method", "PollTask")
            .sample("grpc_server_started_total", 40, "grpc_method", "CompleteTask")
            .build();
    Snapshot completedBefore =
        SnapshotBuilder.at(NOW.minusSeconds(200))
            .sample("grpc_server_started_total", 5, "grpc_method", "PollTask")
            .sample("grpc_server_started_total", 10, "grpc_method", "CompleteTask")
            .build();
    assertThat(
            check(
                "no_worker_polling",
                0,
                Duration.ofMinutes(3),
                serving("orchestrator", completedBefore, completed)))
        .as("completions that ask for the next task are workers asking for work")
        .isEmpty();
  }

  @Test
  void heapAndCpuPerInstance() {
    Inst worker =
        serving(
            "worker",
            SnapshotBuilder.at(NOW.minusSeconds(100))
                .sample("process_cpu_seconds_total", 10)
                .sample("jvm_memory_bytes_used", 900, "area", "heap")
                .sample("jvm_memory_bytes_max", 1000, "area", "heap")
                .build(),
            SnapshotBuilder.at(NOW)
                .sample("process_cpu_seconds_total", 160)
                .sample("jvm_memory_bytes_used", 950, "area", "heap")
                .sample("jvm_memory_bytes_used", 5000, "area", "nonheap")
                .sample("jvm_memory_bytes_max", 1000, "area", "heap")
                .build());

    assertThat(check("heap_usage", 0.9, Duration.ZERO, worker))
        .singleElement()
        .satisfies(o -> assertThat(o.value()).isEqualTo(0.95))
        .satisfies(o -> assertThat(o.labels()).containsEntry("instance", "worker:1"));
    assertThat(check("cpu_usage", 1.0, Duration.ofMinutes(5), worker))
        .singleElement()
        .satisfies(o -> assertThat(o.value()).isEqualTo(1.5));
    assertThat(check("cpu_usage", 1.6, Duration.ofMinutes(5), worker)).isEmpty();
  }
}
