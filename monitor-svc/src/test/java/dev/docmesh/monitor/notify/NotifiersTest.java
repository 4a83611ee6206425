package dev.docmesh.monitor.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.util.Timestamps;
import dev.docmesh.proto.monitor.v1.Alert;
import dev.docmesh.proto.monitor.v1.AlertState;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NotifiersTest {
  private static final Instant STARTS = Instant.parse("2026-11-23T10:00:00Z");
  private final ScheduledExecutorService executor = Executors.newScheduledThreadPool(2);

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  private static Alert alert(String service, AlertState state) {
    Alert.Builder b =
        Alert.newBuilder()
            .setId("fp-" + service)
            .setRule("NoHealthyInstance")
            .setState(state)
            .putLabels("alertname", "NoHealthyInstance")
            .putLabels("severity", "critical")
            .putLabels("service", service)
            .putAnnotations("summary", "no healthy " + service + " instance")
            .setStartsAt(Timestamps.fromMillis(STARTS.toEpochMilli()));
    if (state == AlertState.ALERT_STATE_RESOLVED) {
      b.setEndsAt(Timestamps.fromMillis(STARTS.plusSeconds(90).toEpochMilli()));
    }
    return b.build();
  }

  @Test
  void webhookPayloadIsAlertmanagerVersion4() {
    WebhookNotifier n =
        new WebhookNotifier(
            URI.create("http://x/hook"), () -> "http://monitor:9094/", Duration.ofSeconds(1));

    JsonNode p =
        n.payload(
            List.of(
                alert("processor", AlertState.ALERT_STATE_FIRING),
                alert("worker", AlertState.ALERT_STATE_FIRING)));

    assertThat(p.get("version").asText()).isEqualTo("4");
    assertThat(p.get("status").asText()).isEqualTo("firing");
    assertThat(p.get("receiver").asText()).isEqualTo("docmesh-monitor");
    assertThat(p.get("groupKey").asText()).isEqualTo("{}:{alertname=\"NoHealthyInstance\"}");
    assertThat(p.get("truncatedAlerts").asInt()).isZero();
    assertThat(p.get("externalURL").asText()).isEqualTo("http://monitor:9094/");
    assertThat(p.get("groupLabels").toString()).isEqualTo("{\"alertname\":\"NoHealthyInstance\"}");
    assertThat(p.get("commonLabels").toString())
        .isEqualTo("{\"alertname\":\"NoHealthyInstance\",\"severity\":\"critical\"}");
    assertThat(p.get("commonAnnotations").size()).isZero();
    JsonNode a = p.get("alerts").get(0);
    assertThat(a.get("status").asText()).isEqualTo("firing");
    assertThat(a.get("labels").get("service").asText()).isEqualTo("processor");
    assertThat(a.get("annotations").get("summary").asText())
        .isEqualTo("no healthy processor instance");
    assertThat(a.get("startsAt").asText()).isEqualTo("2026-11-23T10:00:00Z");
    assertThat(a.get("endsAt").asText()).isEqualTo("0001-01-01T00:00:00Z");
    assertThat(a.get("generatorURL").asText()).isEqualTo("http://monitor:9094/#alert-fp-processor");
    assertThat(a.get("fingerprint").asText()).isEqualTo("fp-processor");

    JsonNode resolved = n.payload(List.of(alert("processor", AlertState.ALERT_STATE_RESOLVED)));
    assertThat(resolved.get("status").asText()).isEqualTo("resolved");
    assertThat(resolved.get("alerts").get(0).get("endsAt").asText())
        .isEqualTo("2026-11-23T10:01:30Z");
  }

  @Test
  void alertmanagerPayloadGivesFiringAlertsAnEndSeveralRepeatsAhead() {
    Clock clock = Clock.fixed(STARTS.plusSeconds(10), ZoneOffset.UTC);
    AlertmanagerNotifier n =
        new AlertmanagerNotifier(
            URI.create("http://am:9093/"),
            () -> "http://m/",
            Duration.ofMinutes(10),
            Duration.ofSeconds(1),
            clock);

    JsonNode firing = n.payload(List.of(alert("processor", AlertState.ALERT_STATE_FIRING))).get(0);
    JsonNode resolved =
        n.payload(List.of(alert("processor", AlertState.ALERT_STATE_RESOLVED))).get(0);

    assertThat(n.name()).isEqualTo("alertmanager http://am:9093/api/v2/alerts");
    assertThat(firing.get("labels").get("alertname").asText()).isEqualTo("NoHealthyInstance");
    assertThat(firing.get("startsAt").asText()).isEqualTo("2026-11-23T10:00:00Z");
    assertThat(firing.get("endsAt").asText()).isEqualTo("2026-11-23T10:30:10Z");
    assertThat(firing.get("generatorURL").asText()).isEqualTo("http://m/#alert-fp-processor");
    assertThat(resolved.get("endsAt").asText()).isEqualTo("2026-11-23T10:01:30Z");
  }

  @Test
  void alertmanagerNotifierPostsToTheV2ApiAndFailsOnAnErrorStatus() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    AtomicInteger status = new AtomicInteger(200);
    com.sun.net.httpserver.HttpServer am =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 4);
    am.createContext(
        "/api/v2/alerts",
        exchange -> {
          try (exchange) {
            bodies.add(
                exchange.getRequestMethod()
                    + " "
                    + exchange.getRequestHeaders().getFirst("Content-Type")
                    + " "
                    + new String(
                        exchange.getRequestBody().readAllBytes(),
                        java.nio.charset.StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(status.get(), -1);
          }
        });
    am.start();
    try {
      AlertmanagerNotifier n =
          new AlertmanagerNotifier(
              URI.create("http://127.0.0.1:" + am.getAddress().getPort()),
              () -> "http://m/",
              Duration.ofMinutes(10),
              Duration.ofSeconds(2),
              Clock.systemUTC());
      n.send(List.of(alert("processor", AlertState.ALERT_STATE_RESOLVED)));
      assertThat(bodies)
          .singleElement()
          .asString()
          .startsWith("POST application/json [{")
          .contains("\"endsAt\":\"2026-11-23T10:01:30Z\"");

      status.set(500);
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> n.send(List.of(alert("processor", AlertState.ALERT_STATE_FIRING))))
          .isInstanceOf(java.io.IOException.class)
          .hasMessageContaining("500");
    } finally {
      am.stop(0);
    }
  }

  @Test
  void failingNotifierIsRetriedWithBackoffInOrderAndNeverBlocksTheCaller() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    List<String> delivered = new CopyOnWriteArrayList<>();
    CountDownLatch hang = new CountDownLatch(1);
    Notifier flaky =
        new Notifier() {
          @Override
          public String name() {
            return "flaky";
          }

          @Override
          public void send(List<Alert> alerts) throws Exception {
            if (attempts.incrementAndGet() <= 3) {
              hang.await(); // a receiver that answers only when the test lets it
              throw new java.io.IOException("receiver down");
            }
            alerts.forEach(a -> delivered.add(a.getLabelsOrThrow("service") + ":" + a.getState()));
          }
        };
    try (NotificationDispatcher d =
        new NotificationDispatcher(
            List.of(flaky), executor, Duration.ofMillis(20), Duration.ofMillis(80))) {
      // both submits return while the receiver hangs: the caller never waits for a notifier
      CompletableFuture.runAsync(
              () -> {
                d.submit(List.of(alert("processor", AlertState.ALERT_STATE_FIRING)));
                d.submit(List.of(alert("processor", AlertState.ALERT_STATE_RESOLVED)));
              })
          .get(30, TimeUnit.SECONDS);
      assertThat(delivered).as("nothing delivered while the receiver hangs").isEmpty();
      assertThat(attempts.get()).isLessThanOrEqualTo(1);
      hang.countDown();

      await().atMost(Duration.ofSeconds(5)).until(() -> delivered.size() == 2);
      assertThat(delivered)
          .containsExactly("processor:ALERT_STATE_FIRING", "processor:ALERT_STATE_RESOLVED");
      assertThat(attempts.get()).isEqualTo(5);
    }
  }
}
