package dev.docmesh.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.util.Durations;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.proto.monitor.v1.Alert;
import dev.docmesh.proto.monitor.v1.AlertState;
import dev.docmesh.proto.monitor.v1.GetMetricsSummaryRequest;
import dev.docmesh.proto.monitor.v1.HealthState;
import dev.docmesh.proto.monitor.v1.ListAlertsRequest;
import dev.docmesh.proto.monitor.v1.ListAlertsResponse;
import dev.docmesh.proto.monitor.v1.MonitorServiceGrpc;
import dev.docmesh.proto.monitor.v1.Silence;
import dev.docmesh.proto.monitor.v1.SilenceAlertRequest;
import dev.docmesh.proto.monitor.v1.WatchAlertsRequest;
import dev.docmesh.proto.monitor.v1.WatchAlertsResponse;
import dev.docmesh.proto.monitor.v1.WatchSystemStatusRequest;
import dev.docmesh.proto.monitor.v1.WatchSystemStatusResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gRPC API as the contract describes it, against a monitor watching five addresses where
 * nothing listens: every one goes DOWN and fires InstanceDown, which gives alerts to page through.
 */
class MonitorApiTest {
  private static MeshServer monitor;
  private static ManagedChannel channel;
  private static MonitorServiceGrpc.MonitorServiceBlockingStub api;

  @BeforeAll
  static void start() throws Exception {
    StringBuilder targets = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      try (ServerSocket free =
          new ServerSocket(0)) { // closed at once: a port where nothing listens
        targets
            .append(i == 0 ? "" : ",")
            .append("processor=127.0.0.1:")
            .append(free.getLocalPort());
      }
    }
    monitor =
        MonitorMain.start(
            Loopback.env(
                Map.of(
                    "DOCMESH_MONITOR_TARGETS", targets.toString(),
                    "DOCMESH_MONITOR_DOWN_AFTER", "0s",
                    "DOCMESH_MONITOR_SCRAPE_INTERVAL", "200ms",
                    "DOCMESH_MONITOR_EVALUATION_INTERVAL", "200ms",
                    "DOCMESH_MONITOR_JOBS_TARGET", "off")));
    channel = Loopback.channel(monitor.grpcPort());
    api = MonitorServiceGrpc.newBlockingStub(channel);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                api
                        .listAlerts(
                            ListAlertsRequest.newBuilder()
                                .setState(AlertState.ALERT_STATE_FIRING)
                                .build())
                        .getAlertsList()
                        .stream()
                        .filter(a -> a.getRule().equals("InstanceDown"))
                        .count()
                    == 5);
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    monitor.close();
  }

  @Test
  void listAlertsPagesThroughEveryAlertOnce() {
    List<String> seen = new ArrayList<>();
    String token = "";
    int pages = 0;
    do {
      ListAlertsResponse page =
          api.listAlerts(ListAlertsRequest.newBuilder().setPageSize(2).setPageToken(token).build());
      page.getAlertsList().forEach(a -> seen.add(a.getId()));
      token = page.getNextPageToken();
      pages++;
    } while (!token.isEmpty());

    List<Alert> all = api.listAlerts(ListAlertsRequest.getDefaultInstance()).getAlertsList();
    assertThat(seen).hasSize(all.size()).doesNotHaveDuplicates();
    assertThat(pages).isEqualTo((all.size() + 1) / 2);
    assertThat(all).extracting(Alert::getState).doesNotContain(AlertState.ALERT_STATE_RESOLVED);
  }

  @Test
  void badRequestsAreInvalidArgumentNamingTheField() {
    assertField(
        () -> api.listAlerts(ListAlertsRequest.newBuilder().setPageSize(1001).build()),
        "page_size");
    assertField(
        () -> api.listAlerts(ListAlertsRequest.newBuilder().setPageToken("garbage!").build()),
        "page_token");
    assertField(
        () ->
            api.silenceAlert(
                SilenceAlertRequest.newBuilder().setDuration(Durations.fromMinutes(5)).build()),
        "rule");
    assertField(
        () ->
            api.silenceAlert(
                SilenceAlertRequest.newBuilder()
                    .setRule("InstanceDown")
                    .setDuration(Durations.fromSeconds(59))
                    .build()),
        "duration");
    assertField(
        () ->
            api.silenceAlert(
                SilenceAlertRequest.newBuilder()
                    .setRule("InstanceDown")
                    .setDuration(Durations.fromDays(8))
                    .build()),
        "duration");
    assertField(
        () ->
            api.getMetricsSummary(
                GetMetricsSummaryRequest.newBuilder().setWindow(Durations.fromSeconds(-1)).build()),
        "window");
    assertThatThrownBy(
            () ->
                api.silenceAlert(
                    SilenceAlertRequest.newBuilder()
                        .setRule("Nope")
                        .setDuration(Durations.fromMinutes(5))
                        .build()))
        .satisfies(
            e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  private static void assertField(Runnable call, String field) {
    assertThatThrownBy(call::run)
        .isInstanceOf(StatusRuntimeException.class)
        .satisfies(
            e -> {
              assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(
                      Errors.detail(e, com.google.rpc.BadRequest.class)
                          .orElseThrow()
                          .getFieldViolations(0)
                          .getField())
                  .isEqualTo(field);
            });
  }

  @Test
  void summaryWindowIsCappedAtTheHistoryKept() {
    assertThat(
            api.getMetricsSummary(
                    GetMetricsSummaryRequest.newBuilder().setWindow(Durations.fromHours(5)).build())
                .getSummary()
                .getWindow())
        .isEqualTo(Durations.fromMinutes(15));
    assertThat(
            api.getMetricsSummary(GetMetricsSummaryRequest.getDefaultInstance())
                .getSummary()
                .getWindow())
        .isEqualTo(Durations.fromMinutes(5));
  }

  @Test
  void silenceMarksMatchingAlertsSilenced() {
    String instance =
        api.listAlerts(ListAlertsRequest.getDefaultInstance())
            .getAlerts(0)
            .getLabelsOrThrow("instance");
    Silence s =
        api.silenceAlert(
                SilenceAlertRequest.newBuilder()
                    .setRule("InstanceDown")
                    .putMatchers("instance", instance)
                    .setDuration(Durations.fromMinutes(10))
                    .setComment("planned")
                    .setCreatedBy("test")
                    .build())
            .getSilence();

    assertThat(s.getId()).isNotEmpty();
    assertThat(com.google.protobuf.util.Timestamps.between(s.getStartsAt(), s.getEndsAt()))
        .isEqualTo(Durations.fromMinutes(10));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(api.listAlerts(ListAlertsRequest.getDefaultInstance()).getAlertsList())
                    .filteredOn(Alert::getSilenced)
                    .singleElement()
                    .satisfies(
                        a -> assertThat(a.getLabelsOrThrow("instance")).isEqualTo(instance)));
  }

  @Test
  void watchesStartWithTheCurrentStateAndRespectTheMinimumInterval() {
    Iterator<WatchAlertsResponse> alerts =
        MonitorServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
            .watchAlerts(WatchAlertsRequest.newBuilder().setIncludeActive(true).build());
    assertThat(alerts.next().getAlert().getState()).isEqualTo(AlertState.ALERT_STATE_FIRING);

    Iterator<WatchSystemStatusResponse> status =
        MonitorServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
            .watchSystemStatus(
                WatchSystemStatusRequest.newBuilder()
                    .setInterval(Durations.fromMillis(10))
                    .build());
    long start = System.nanoTime();
    assertThat(status.next().getStatus().getHealth()).isEqualTo(HealthState.HEALTH_STATE_DOWN);
    status.next();
    status.next();
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .as("10 ms is raised to the 1 s minimum")
        .isGreaterThan(Duration.ofMillis(1500));
  }
}
