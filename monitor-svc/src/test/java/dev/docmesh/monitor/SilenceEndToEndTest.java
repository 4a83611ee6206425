package dev.docmesh.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.server.ServiceLauncher;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.meshkit.testing.TestClock;
import dev.docmesh.processor.ProcessorMain;
import dev.docmesh.proto.monitor.v1.Alert;
import dev.docmesh.proto.monitor.v1.AlertState;
import dev.docmesh.proto.monitor.v1.GetSystemStatusRequest;
import dev.docmesh.proto.monitor.v1.HealthState;
import dev.docmesh.proto.monitor.v1.InstanceStatus;
import dev.docmesh.proto.monitor.v1.ListAlertsRequest;
import dev.docmesh.proto.monitor.v1.MonitorServiceGrpc;
import dev.docmesh.proto.monitor.v1.Silence;
import dev.docmesh.proto.monitor.v1.SilenceAlertRequest;
import io.grpc.ManagedChannel;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A silence set over the monitor's gRPC API keeps a firing alert off a real webhook, for repeats
 * and for a re-fire, until it ends; then the alert is notified again.
 *
 * <p>Two instances fire the same rule: a real processor that the test stops (silenced) and an
 * address where nothing listens (the witness, never silenced). The monitor runs on a clock the test
 * moves, so an hour of repeat interval passes at once; after each move both alerts are due in the
 * same evaluation, and the engine sends one webhook call per rule and state. So the witness's
 * repeat arriving alone is the proof that an evaluation which would have carried the silenced alert
 * has run and been delivered: "nothing arrived" is checked against a call, not against a pause.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SilenceEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String RULE = "InstanceDown";
  private static final Duration REPEAT = Duration.ofHours(1);
  private static final Duration SILENCE = Duration.ofHours(6);

  @TempDir Path dir;
  private final List<AutoCloseable> closeLast = new CopyOnWriteArrayList<>();
  private final TestClock clock = TestClock.running();
  private WebhookReceiver webhook;
  private MonitorServiceGrpc.MonitorServiceBlockingStub api;

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
  void silenceKeepsRepeatsAndReFiresOffTheWebhookUntilItEnds() throws Exception {
    AtomicReference<MeshServer> processor =
        new AtomicReference<>(ProcessorMain.start(Loopback.env()));
    closeLast.add(() -> processor.get().close());
    int processorPort = processor.get().grpcPort();
    String silenced = "127.0.0.1:" + processorPort;
    String witness;
    try (ServerSocket free =
        new ServerSocket(0)) { // closed at once: an address where nothing listens
      witness = "127.0.0.1:" + free.getLocalPort();
    }
    webhook = track(new WebhookReceiver());
    Path rules =
        Files.writeString(
            dir.resolve("rules.yaml"),
            """
        rules:
          - name: InstanceDown
            condition: instance_down
            severity: warning
        """);
    MeshServer monitor =
        track(
            ServiceLauncher.start(
                MonitorMain.SPEC,
                Loopback.env(
                    Map.of(
                        "DOCMESH_MONITOR_TARGETS",
                            "processor=" + silenced + ",processor=" + witness,
                        "DOCMESH_MONITOR_DOWN_AFTER", "0s",
                        "DOCMESH_MONITOR_SCRAPE_INTERVAL", "200ms",
                        "DOCMESH_MONITOR_EVALUATION_INTERVAL", "200ms",
                        "DOCMESH_MONITOR_REPEAT_INTERVAL", "1h",
                        "DOCMESH_MONITOR_RULES_FILE", rules.toString(),
                        "DOCMESH_MONITOR_WEBHOOK_URL", webhook.url())),
                (server, env) -> MonitorMain.wire(server, env, clock)));
    ManagedChannel channel = Loopback.channel(monitor.grpcPort());
    closeLast.add(channel::shutdownNow);
    api = MonitorServiceGrpc.newBlockingStub(channel);

    // 1. the witness fires to the webhook; the processor serves
    await().atMost(WAIT).until(() -> callsSince(0).stream().anyMatch(c -> c.contains(witness)));
    await().atMost(WAIT).until(() -> instanceHealth(silenced) == HealthState.HEALTH_STATE_SERVING);

    // 2. the processor stops: its alert fires and reaches the webhook
    processor.get().close();
    await().atMost(WAIT).until(() -> callsSince(0).stream().anyMatch(c -> c.contains(silenced)));
    Alert first = alert(silenced).orElseThrow();
    assertThat(first.getState()).isEqualTo(AlertState.ALERT_STATE_FIRING);
    assertThat(first.getSilenced()).isFalse();
    assertThat(
            webhook.payloads(RULE, "firing").stream()
                .flatMap(p -> alerts(p).stream())
                .filter(a -> instance(a).equals(silenced)))
        .singleElement()
        .satisfies(
            a ->
                assertThat(a.path("fingerprint").asText())
                    .as("the alert ListAlerts shows")
                    .isEqualTo(first.getId()));

    // 3. silence it over gRPC, matching that instance only
    Instant before = clock.instant();
    Silence silence =
        api.silenceAlert(
                SilenceAlertRequest.newBuilder()
                    .setRule(RULE)
                    .putMatchers("instance", silenced)
                    .setDuration(Durations.fromMillis(SILENCE.toMillis()))
                    .setComment("processor maintenance")
                    .setCreatedBy("silence-e2e")
                    .build())
            .getSilence();
    Instant after = clock.instant();
    int sinceSilence = webhook.payloads(RULE, "firing").size();
    assertThat(silence.getId()).isNotEmpty();
    assertThat(silence.getRule()).isEqualTo(RULE);
    assertThat(silence.getMatchersMap()).containsExactly(entry("instance", silenced));
    assertThat(Timestamps.toMillis(silence.getStartsAt()))
        .as("starts on the monitor's clock")
        .isBetween(before.toEpochMilli(), after.toEpochMilli());
    assertThat(Timestamps.between(silence.getStartsAt(), silence.getEndsAt()))
        .isEqualTo(Durations.fromHours(6));
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(alert(silenced)).get().extracting(Alert::getSilenced).isEqualTo(true);
              assertThat(alert(witness)).get().extracting(Alert::getSilenced).isEqualTo(false);
            });

    // 4. repeats while silenced: each repeat of the witness comes alone
    for (int round = 1; round <= 2; round++) {
      assertThat(repeatAfterMoving(REPEAT, witness))
          .as("repeat %d while silenced", round)
          .containsExactly(witness);
    }

    // 5. a re-fire while silenced: the processor comes back (resolved), stops again (fires anew),
    // unheard
    processor.set(
        await()
            .atMost(WAIT)
            .ignoreExceptions()
            .until(
                () ->
                    ProcessorMain.start(
                        Loopback.env(Map.of("DOCMESH_GRPC_PORT", Integer.toString(processorPort)))),
                p -> true));
    await().atMost(WAIT).until(() -> alert(silenced).isEmpty());
    processor.get().close();
    Alert refired =
        await()
            .atMost(WAIT)
            .until(
                () -> alert(silenced).filter(a -> a.getState() == AlertState.ALERT_STATE_FIRING),
                Optional::isPresent)
            .orElseThrow();
    assertThat(Timestamps.compare(refired.getStartsAt(), first.getStartsAt()))
        .as("a new firing")
        .isPositive();
    assertThat(refired.getSilenced()).isTrue();
    assertThat(repeatAfterMoving(REPEAT, witness))
        .as("the first evaluation due after the re-fire")
        .containsExactly(witness);
    assertThat(callsSince(sinceSilence))
        .as("firing calls while silenced")
        .noneMatch(c -> c.contains(silenced));

    // 6. the silence ends: the held-back alert is notified with the witness's next repeat, and is
    // no longer silenced
    int sinceEnd = webhook.payloads(RULE, "firing").size();
    clock.advance(SILENCE);
    JsonNode resumed =
        await("the held-back alert notified once the silence has ended")
            .atMost(WAIT)
            .until(
                () ->
                    payloadsSince(sinceEnd).stream()
                        .filter(p -> instances(p).contains(silenced))
                        .findFirst(),
                Optional::isPresent)
            .orElseThrow();
    assertThat(instances(resumed)).containsExactlyInAnyOrder(silenced, witness);
    JsonNode resumedAlert =
        alerts(resumed).stream()
            .filter(a -> instance(a).equals(silenced))
            .findFirst()
            .orElseThrow();
    assertThat(Instant.parse(resumedAlert.path("startsAt").asText()).toEpochMilli())
        .as("the re-fired alert, held back, not lost")
        .isEqualTo(Timestamps.toMillis(refired.getStartsAt()));
    assertThat(alert(silenced)).get().extracting(Alert::getSilenced).isEqualTo(false);
  }

  /**
   * Moves the monitor's clock on and returns the instances of the next firing call naming {@code
   * instance}.
   */
  private List<String> repeatAfterMoving(Duration by, String instance) {
    int since = webhook.payloads(RULE, "firing").size();
    clock.advance(by);
    return await("a firing call for " + instance + " after the clock moved " + by)
        .atMost(WAIT)
        .until(
            () -> callsSince(since).stream().filter(c -> c.contains(instance)).findFirst(),
            Optional::isPresent)
        .orElseThrow();
  }

  /** The firing webhook calls of the rule, from the {@code from}-th on. */
  private List<JsonNode> payloadsSince(int from) {
    List<JsonNode> calls = webhook.payloads(RULE, "firing");
    return calls.subList(Math.min(from, calls.size()), calls.size());
  }

  /** The instances each firing webhook call carried, from the {@code from}-th call on. */
  private List<List<String>> callsSince(int from) {
    return payloadsSince(from).stream().map(SilenceEndToEndTest::instances).toList();
  }

  private static List<String> instances(JsonNode payload) {
    return alerts(payload).stream().map(SilenceEndToEndTest::instance).toList();
  }

  private static String instance(JsonNode alert) {
    return alert.path("labels").path("instance").asText();
  }

  private static List<JsonNode> alerts(JsonNode payload) {
    return StreamSupport.stream(payload.path("alerts").spliterator(), false).toList();
  }

  /** The active alert of the rule for an instance, as ListAlerts shows it. */
  private Optional<Alert> alert(String instance) {
    return api.listAlerts(ListAlertsRequest.getDefaultInstance()).getAlertsList().stream()
        .filter(a -> a.getRule().equals(RULE) && instance.equals(a.getLabelsMap().get("instance")))
        .findFirst();
  }

  private HealthState instanceHealth(String address) {
    return api
        .getSystemStatus(GetSystemStatusRequest.getDefaultInstance())
        .getStatus()
        .getServicesList()
        .stream()
        .flatMap(s -> s.getInstancesList().stream())
        .filter(i -> i.getAddress().equals(address))
        .map(InstanceStatus::getHealth)
        .findFirst()
        .orElse(HealthState.HEALTH_STATE_UNSPECIFIED);
  }
}
