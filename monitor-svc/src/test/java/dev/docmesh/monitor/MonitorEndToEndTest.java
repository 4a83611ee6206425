package dev.docmesh.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.util.Durations;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.orchestrator.OrchestratorMain;
import dev.docmesh.processor.ProcessorMain;
import dev.docmesh.proto.monitor.v1.Alert;
import dev.docmesh.proto.monitor.v1.AlertState;
import dev.docmesh.proto.monitor.v1.GetMetricsSummaryRequest;
import dev.docmesh.proto.monitor.v1.GetSystemStatusRequest;
import dev.docmesh.proto.monitor.v1.HealthState;
import dev.docmesh.proto.monitor.v1.ListAlertsRequest;
import dev.docmesh.proto.monitor.v1.MetricsSummary;
import dev.docmesh.proto.monitor.v1.MonitorServiceGrpc;
import dev.docmesh.proto.monitor.v1.ServiceStatus;
import dev.docmesh.proto.monitor.v1.SystemStatus;
import dev.docmesh.proto.monitor.v1.WatchAlertsRequest;
import dev.docmesh.proto.monitor.v1.WatchAlertsResponse;
import dev.docmesh.proto.monitor.v1.WatchSystemStatusRequest;
import dev.docmesh.proto.monitor.v1.WatchSystemStatusResponse;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.worker.WorkerMain;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitor watching real orchestrator, processor and worker servers on loopback: all SERVING;
 * the processor stops, is DOWN, and "no healthy instance" fires to a webhook; it comes back and the
 * resolved notification follows.
 */
class MonitorEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;
  private final List<AutoCloseable> closeLast = new CopyOnWriteArrayList<>();

  @AfterEach
  void stopAll() throws Exception {
    for (int i = closeLast.size() - 1; i >= 0; i--) {
      closeLast.get(i).close();
    }
  }

  private <T extends AutoCloseable> T track(T c) {
    closeLast.add(c);
    return c;
  }

  @Test
  void processorOutageFiresNoHealthyInstanceToTheWebhookAndResolvesWhenItIsBack() throws Exception {
    MeshServer orchestrator =
        track(
            OrchestratorMain.start(
                Loopback.env(Map.of("DOCMESH_DATA_DIR", dir.resolve("orchestrator").toString()))));
    AtomicReference<MeshServer> processor =
        new AtomicReference<>(ProcessorMain.start(Loopback.env()));
    closeLast.add(() -> processor.get().close());
    MeshServer worker =
        track(
            WorkerMain.start(
                Loopback.env(
                    Map.of(
                        "DOCMESH_ORCHESTRATOR_TARGET", "127.0.0.1:" + orchestrator.grpcPort(),
                        "DOCMESH_PROCESSOR_TARGET", "127.0.0.1:" + processorPortOf(processor)))));
    int processorPort = processor.get().grpcPort();
    WebhookReceiver webhook = track(new WebhookReceiver());
    Path rules =
        Files.writeString(
            dir.resolve("rules.yaml"),
            """
        rules:
          - name: NoHealthyInstance
            condition: no_healthy_instance
            for: 0s
            severity: critical
            labels: {team: docmesh}
            annotations:
              summary: "no healthy {{service}} instance"
          - name: InstanceDown
            condition: instance_down
            severity: warning
        """);
    MeshServer monitor =
        track(
            MonitorMain.start(
                Loopback.env(
                    Map.of(
                        "DOCMESH_MONITOR_TARGETS",
                        "orchestrator=127.0.0.1:"
                            + orchestrator.grpcPort()
                            + ",processor=127.0.0.1:"
                            + processorPort
                            + ",worker=127.0.0.1:"
                            + worker.grpcPort(),
                        "DOCMESH_MONITOR_DOWN_AFTER",
                        "1s",
                        "DOCMESH_MONITOR_SCRAPE_INTERVAL",
                        "250ms",
                        "DOCMESH_MONITOR_EVALUATION_INTERVAL",
                        "250ms",
                        "DOCMESH_MONITOR_RULES_FILE",
                        rules.toString(),
                        "DOCMESH_MONITOR_WEBHOOK_URL",
                        webhook.url()))));
    ManagedChannel channel = Loopback.channel(monitor.grpcPort());
    closeLast.add(channel::shutdownNow);
    MonitorServiceGrpc.MonitorServiceBlockingStub api = MonitorServiceGrpc.newBlockingStub(channel);
    List<Alert> watched = new CopyOnWriteArrayList<>();
    MonitorServiceGrpc.newStub(channel)
        .watchAlerts(
            WatchAlertsRequest.getDefaultInstance(),
            collect(watched, WatchAlertsResponse::getAlert));
    List<SystemStatus> statuses = new CopyOnWriteArrayList<>();
    MonitorServiceGrpc.newStub(channel)
        .watchSystemStatus(
            WatchSystemStatusRequest.newBuilder().setInterval(Durations.fromSeconds(60)).build(),
            collect(statuses, WatchSystemStatusResponse::getStatus));

    // 1. every service SERVING, with what each instance says about itself
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              SystemStatus s =
                  api.getSystemStatus(GetSystemStatusRequest.getDefaultInstance()).getStatus();
              assertThat(s.getHealth()).isEqualTo(HealthState.HEALTH_STATE_SERVING);
              assertThat(s.getServicesList())
                  .extracting(ServiceStatus::getName)
                  .containsExactly("orchestrator", "processor", "worker");
              assertThat(s.getServicesList())
                  .allSatisfy(
                      svc -> {
                        assertThat(svc.getHealth()).isEqualTo(HealthState.HEALTH_STATE_SERVING);
                        assertThat(svc.getInstances(0).getInstanceId()).isNotEmpty();
                        assertThat(svc.getInstances(0).getHeapUsedBytes()).isPositive();
                      });
            });
    assertThat(webhook.payloads("NoHealthyInstance", "firing")).isEmpty();

    // real traffic shows up in the orchestrator's golden signals; a job that does not exist is an
    // error
    // whether the orchestrator is implemented or still a stub
    ManagedChannel toOrchestrator = Loopback.channel(orchestrator.grpcPort());
    closeLast.add(toOrchestrator::shutdownNow);
    OrchestratorServiceGrpc.OrchestratorServiceBlockingStub orch =
        OrchestratorServiceGrpc.newBlockingStub(toOrchestrator);
    for (int i = 0; i < 20; i++) {
      try {
        orch.getJob(GetJobRequest.newBuilder().setJobId("job-does-not-exist-" + i).build());
      } catch (StatusRuntimeException expected) {
        // NOT_FOUND / INVALID_ARGUMENT (or UNIMPLEMENTED from a stub)
      }
    }
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              MetricsSummary m =
                  api.getMetricsSummary(
                          GetMetricsSummaryRequest.newBuilder()
                              .setWindow(Durations.fromSeconds(60))
                              .build())
                      .getSummary();
              assertThat(m.getWindow()).isEqualTo(Durations.fromSeconds(60));
              assertThat(m.getServicesMap().get("orchestrator").getRequestsPerSecond())
                  .isPositive();
              assertThat(m.getServicesMap().get("orchestrator").getErrorRate())
                  .isPositive()
                  .isLessThanOrEqualTo(1.0);
              assertThat(m.getErrorRate()).isPositive();
            });

    // 2. the processor stops: DOWN, and the alert fires to the webhook
    Instant stoppedAt = Instant.now();
    processor.get().close();
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              SystemStatus s =
                  api.getSystemStatus(GetSystemStatusRequest.getDefaultInstance()).getStatus();
              assertThat(service(s, "processor").getHealth())
                  .isEqualTo(HealthState.HEALTH_STATE_DOWN);
              assertThat(service(s, "processor").getInstances(0).getHealth())
                  .isEqualTo(HealthState.HEALTH_STATE_DOWN);
              assertThat(s.getHealth()).isEqualTo(HealthState.HEALTH_STATE_DOWN);
              assertThat(s.getActiveAlertsList())
                  .extracting(Alert::getRule)
                  .contains("NoHealthyInstance", "InstanceDown");
            });
    await().atMost(WAIT).until(() -> !webhook.payloads("NoHealthyInstance", "firing").isEmpty());
    JsonNode firing = webhook.payloads("NoHealthyInstance", "firing").get(0);
    assertThat(firing.get("version").asText()).isEqualTo("4");
    assertThat(firing.get("receiver").asText()).isEqualTo("docmesh-monitor");
    assertThat(firing.get("groupKey").asText()).isEqualTo("{}:{alertname=\"NoHealthyInstance\"}");
    assertThat(firing.get("groupLabels").get("alertname").asText()).isEqualTo("NoHealthyInstance");
    assertThat(firing.get("commonLabels").get("service").asText()).isEqualTo("processor");
    assertThat(firing.get("externalURL").asText())
        .isEqualTo("http://localhost:" + monitor.metricsPort() + "/");
    assertThat(firing.get("truncatedAlerts").asInt()).isZero();
    assertThat(firing.get("alerts")).hasSize(1);
    JsonNode alert = firing.get("alerts").get(0);
    assertThat(alert.get("status").asText()).isEqualTo("firing");
    assertThat(alert.get("labels").get("alertname").asText()).isEqualTo("NoHealthyInstance");
    assertThat(alert.get("labels").get("service").asText()).isEqualTo("processor");
    assertThat(alert.get("labels").get("severity").asText()).isEqualTo("critical");
    assertThat(alert.get("labels").get("team").asText()).isEqualTo("docmesh");
    assertThat(alert.get("labels").size()).isEqualTo(4);
    assertThat(alert.get("annotations").get("summary").asText())
        .isEqualTo("no healthy processor instance");
    assertThat(Instant.parse(alert.get("startsAt").asText())).isBetween(stoppedAt, Instant.now());
    assertThat(alert.get("endsAt").asText()).isEqualTo("0001-01-01T00:00:00Z");
    assertThat(alert.get("generatorURL").asText()).startsWith(firing.get("externalURL").asText());
    String fingerprint = alert.get("fingerprint").asText();
    assertThat(fingerprint).isNotEmpty();
    assertThat(webhook.payloads("NoHealthyInstance", "resolved")).isEmpty();

    // 3. it comes back on the same port: resolved
    processor.set(
        await()
            .atMost(WAIT)
            .ignoreExceptions()
            .until(
                () ->
                    ProcessorMain.start(
                        Loopback.env(Map.of("DOCMESH_GRPC_PORT", Integer.toString(processorPort)))),
                p -> true));
    await().atMost(WAIT).until(() -> !webhook.payloads("NoHealthyInstance", "resolved").isEmpty());
    JsonNode resolved = webhook.payloads("NoHealthyInstance", "resolved").get(0);
    JsonNode done = resolved.get("alerts").get(0);
    assertThat(done.get("status").asText()).isEqualTo("resolved");
    assertThat(done.get("fingerprint").asText()).isEqualTo(fingerprint);
    assertThat(done.get("startsAt").asText()).isEqualTo(alert.get("startsAt").asText());
    assertThat(Instant.parse(done.get("endsAt").asText()))
        .isAfter(Instant.parse(alert.get("startsAt").asText()));
    assertThat(webhook.payloads("NoHealthyInstance", "firing"))
        .as("notified once, not on every evaluation")
        .hasSize(1);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(
                        api.getSystemStatus(GetSystemStatusRequest.getDefaultInstance())
                            .getStatus()
                            .getHealth())
                    .isEqualTo(HealthState.HEALTH_STATE_SERVING));

    // the same story on the streams and in the alert history
    assertThat(watched)
        .filteredOn(a -> a.getRule().equals("NoHealthyInstance"))
        .extracting(Alert::getState)
        .containsExactly(AlertState.ALERT_STATE_FIRING, AlertState.ALERT_STATE_RESOLVED);
    assertThat(statuses)
        .extracting(s -> service(s, "processor").getHealth())
        .containsSubsequence(
            HealthState.HEALTH_STATE_SERVING,
            HealthState.HEALTH_STATE_DOWN,
            HealthState.HEALTH_STATE_SERVING);
    assertThat(
            api.listAlerts(
                    ListAlertsRequest.newBuilder()
                        .setState(AlertState.ALERT_STATE_RESOLVED)
                        .build())
                .getAlertsList())
        .extracting(Alert::getRule)
        .contains("NoHealthyInstance", "InstanceDown");
  }

  private static String processorPortOf(AtomicReference<MeshServer> processor) {
    return Integer.toString(processor.get().grpcPort());
  }

  private static ServiceStatus service(SystemStatus s, String name) {
    return s.getServicesList().stream()
        .filter(x -> x.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  private static <R, T> StreamObserver<R> collect(
      List<T> into, java.util.function.Function<R, T> pick) {
    return new StreamObserver<>() {
      @Override
      public void onNext(R value) {
        into.add(pick.apply(value));
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }
}
