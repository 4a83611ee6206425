package dev.docmesh.monitor.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.monitor.fleet.InstanceView;
import dev.docmesh.monitor.fleet.MeshView;
import dev.docmesh.proto.monitor.v1.Alert;
import dev.docmesh.proto.monitor.v1.AlertState;
import dev.docmesh.proto.monitor.v1.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rule engine on a fake clock: for, keep_firing_for, repeat interval, silences. */
class RuleEngineTest {
  private static final Map<String, String> PROCESSOR = Map.of("service", "processor");

  /** A mesh whose time and breaches the test sets by hand. */
  private static final class FakeMesh implements MeshView {
    Instant now = Instant.parse("2026-11-23T10:00:00Z");
    final List<Observation> breaches = new ArrayList<>();

    void advance(Duration d) {
      now = now.plus(d);
    }

    void breach(Map<String, String> labels, double value) {
      breaches.clear();
      breaches.add(new Observation(labels, value));
    }

    void clear() {
      breaches.clear();
    }

    @Override
    public Instant now() {
      return now;
    }

    @Override
    public Set<String> services() {
      return Set.of("processor");
    }

    @Override
    public List<InstanceView> instances() {
      return List.of();
    }
  }

  private final FakeMesh mesh = new FakeMesh();
  private final Silences silences = new Silences();

  private AlertRule rule(Duration pendingFor, Duration keepFiringFor) {
    return new AlertRule(
        "NoHealthyInstance",
        "test",
        (m, r) -> List.copyOf(((FakeMesh) m).breaches),
        0,
        Duration.ofMinutes(5),
        pendingFor,
        keepFiringFor,
        Severity.SEVERITY_CRITICAL,
        Map.of(),
        Map.of("team", "docmesh"),
        Map.of("summary", "no healthy {{service}} instance ({{value}})"));
  }

  private RuleEngine engine(AlertRule rule, Duration repeat) {
    return new RuleEngine(List.of(rule), silences, repeat, 100);
  }

  @Test
  void pendingUntilForHasPassedThenFiresOnceWithLabelsAndAnnotations() {
    RuleEngine engine = engine(rule(Duration.ofSeconds(30), Duration.ZERO), Duration.ofHours(1));
    mesh.breach(PROCESSOR, 0);

    Evaluation first = engine.evaluate(mesh);
    assertThat(first.changes()).isEmpty();
    assertThat(first.notifications()).isEmpty();
    assertThat(engine.active())
        .extracting(Alert::getState)
        .containsExactly(AlertState.ALERT_STATE_PENDING);

    mesh.advance(Duration.ofSeconds(29));
    assertThat(engine.evaluate(mesh).notifications()).isEmpty();

    mesh.advance(Duration.ofSeconds(1));
    Evaluation firing = engine.evaluate(mesh);
    assertThat(firing.changes()).hasSize(1);
    Alert alert = firing.notifications().get(0);
    assertThat(alert.getState()).isEqualTo(AlertState.ALERT_STATE_FIRING);
    assertThat(alert.getLabelsMap())
        .containsEntry("alertname", "NoHealthyInstance")
        .containsEntry("service", "processor")
        .containsEntry("severity", "critical")
        .containsEntry("team", "docmesh");
    assertThat(alert.getAnnotationsMap())
        .containsEntry("summary", "no healthy processor instance (0)");
    assertThat(alert.getStartsAt().getSeconds()).isEqualTo(mesh.now.getEpochSecond());
    assertThat(alert.hasEndsAt()).isFalse();

    mesh.advance(Duration.ofSeconds(5));
    assertThat(engine.evaluate(mesh).notifications())
        .as("no re-notify within the repeat interval")
        .isEmpty();
    assertThat(engine.firing()).hasSize(1);
  }

  @Test
  void conditionThatClearsWhilePendingNeverFiresOrNotifies() {
    RuleEngine engine = engine(rule(Duration.ofSeconds(30), Duration.ZERO), Duration.ofHours(1));
    mesh.breach(PROCESSOR, 0);
    engine.evaluate(mesh);
    mesh.advance(Duration.ofSeconds(20));
    mesh.clear();

    Evaluation e = engine.evaluate(mesh);

    assertThat(e.changes()).isEmpty();
    assertThat(e.notifications()).isEmpty();
    assertThat(engine.active()).isEmpty();
    assertThat(engine.resolved()).isEmpty();

    // and the pending time starts again from zero
    mesh.breach(PROCESSOR, 0);
    engine.evaluate(mesh);
    mesh.advance(Duration.ofSeconds(15));
    assertThat(engine.evaluate(mesh).notifications()).isEmpty();
  }

  @Test
  void keepFiringForHoldsTheAlertAfterTheConditionClearsThenResolvesAndNotifies() {
    RuleEngine engine = engine(rule(Duration.ZERO, Duration.ofSeconds(60)), Duration.ofHours(1));
    mesh.breach(PROCESSOR, 0);
    assertThat(engine.evaluate(mesh).notifications()).hasSize(1);

    mesh.advance(Duration.ofSeconds(10));
    mesh.clear();
    Instant lastTrue = mesh.now.minusSeconds(10);
    assertThat(engine.evaluate(mesh).changes()).isEmpty();
    mesh.advance(Duration.ofSeconds(49));
    assertThat(engine.evaluate(mesh).changes()).as("59 s after it last held").isEmpty();
    assertThat(engine.firing()).hasSize(1);

    // it flaps back: keep_firing_for starts again from the last time it held
    mesh.breach(PROCESSOR, 0);
    assertThat(engine.evaluate(mesh).notifications()).isEmpty();
    lastTrue = mesh.now;
    mesh.clear();
    mesh.advance(Duration.ofSeconds(60));
    Evaluation resolved = engine.evaluate(mesh);

    assertThat(resolved.changes()).hasSize(1);
    Alert done = resolved.notifications().get(0);
    assertThat(done.getState()).isEqualTo(AlertState.ALERT_STATE_RESOLVED);
    assertThat(done.getEndsAt().getSeconds()).isEqualTo(lastTrue.plusSeconds(60).getEpochSecond());
    assertThat(engine.active()).isEmpty();
    assertThat(engine.resolved()).containsExactly(done);
  }

  @Test
  void stillFiringAlertIsNotifiedAgainOnlyAfterTheRepeatInterval() {
    RuleEngine engine = engine(rule(Duration.ZERO, Duration.ZERO), Duration.ofMinutes(10));
    mesh.breach(PROCESSOR, 0);
    assertThat(engine.evaluate(mesh).notifications()).hasSize(1);

    int notified = 0;
    for (int i = 0; i < 59; i++) { // every 10 s up to 9 min 50 s
      mesh.advance(Duration.ofSeconds(10));
      notified += engine.evaluate(mesh).notifications().size();
    }
    assertThat(notified).isZero();

    mesh.advance(Duration.ofSeconds(10));
    Evaluation reminder = engine.evaluate(mesh);
    assertThat(reminder.notifications()).hasSize(1);
    assertThat(reminder.changes()).as("a reminder is not a state change for watchers").isEmpty();
  }

  @Test
  void silencedAlertStillFiresForWatchersButIsNotNotifiedUntilTheSilenceEnds() {
    RuleEngine engine = engine(rule(Duration.ZERO, Duration.ZERO), Duration.ofHours(1));
    silences.add(
        "NoHealthyInstance",
        Map.of("service", "processor"),
        Duration.ofMinutes(5),
        "maintenance",
        "ops",
        mesh.now);
    mesh.breach(PROCESSOR, 0);

    Evaluation e = engine.evaluate(mesh);
    assertThat(e.changes()).hasSize(1);
    assertThat(e.notifications()).isEmpty();
    assertThat(engine.firing().get(0).getSilenced()).isTrue();

    mesh.advance(Duration.ofMinutes(5));
    Evaluation after = engine.evaluate(mesh);
    assertThat(after.notifications()).as("notified once the silence has ended").hasSize(1);
    assertThat(after.notifications().get(0).getSilenced()).isFalse();
  }

  @Test
  void silenceMatchesOnlyItsRuleAndLabels() {
    RuleEngine engine = engine(rule(Duration.ZERO, Duration.ZERO), Duration.ofHours(1));
    silences.add(
        "NoHealthyInstance", Map.of("service", "worker"), Duration.ofMinutes(5), "", "", mesh.now);
    silences.add("OtherRule", Map.of(), Duration.ofMinutes(5), "", "", mesh.now);
    mesh.breach(PROCESSOR, 0);

    assertThat(engine.evaluate(mesh).notifications()).hasSize(1);
  }

  @Test
  void resolvedAfterASilencedFiringIsNotSentSinceReceiversNeverHeardOfIt() {
    RuleEngine engine = engine(rule(Duration.ZERO, Duration.ZERO), Duration.ofHours(1));
    silences.add("NoHealthyInstance", Map.of(), Duration.ofMinutes(5), "", "", mesh.now);
    mesh.breach(PROCESSOR, 0);
    engine.evaluate(mesh);
    mesh.advance(Duration.ofSeconds(10));
    mesh.clear();

    Evaluation e = engine.evaluate(mesh);

    assertThat(e.changes())
        .extracting(Alert::getState)
        .containsExactly(AlertState.ALERT_STATE_RESOLVED);
    assertThat(e.notifications()).isEmpty();
  }

  @Test
  void eachLabelSetIsItsOwnAlertWithAStableId() {
    RuleEngine engine = engine(rule(Duration.ZERO, Duration.ZERO), Duration.ofHours(1));
    mesh.breaches.add(new Observation(Map.of("service", "processor"), 0));
    mesh.breaches.add(new Observation(Map.of("service", "worker"), 0));

    List<Alert> first = engine.evaluate(mesh).notifications();
    mesh.advance(Duration.ofSeconds(5));
    engine.evaluate(mesh);

    assertThat(first).hasSize(2);
    assertThat(first.get(0).getId()).isNotEqualTo(first.get(1).getId());
    assertThat(engine.firing())
        .extracting(Alert::getId)
        .containsExactlyInAnyOrderElementsOf(first.stream().map(Alert::getId).toList());
  }

  @Test
  void matchersRestrictWhichLabelSetsARuleCovers() {
    AlertRule onlyWorkers =
        new AlertRule(
            "X",
            "test",
            (m, r) -> List.copyOf(((FakeMesh) m).breaches),
            0,
            Duration.ofMinutes(5),
            Duration.ZERO,
            Duration.ZERO,
            Severity.SEVERITY_WARNING,
            Map.of("service", "worker"),
            Map.of(),
            Map.of());
    RuleEngine engine = engine(onlyWorkers, Duration.ofHours(1));
    mesh.breach(PROCESSOR, 0);

    assertThat(engine.evaluate(mesh).changes()).isEmpty();
  }

  @Test
  void aRuleThatThrowsDoesNotStopTheOthersOrResolveItsAlerts() {
    boolean[] broken = {false};
    AlertRule flaky =
        new AlertRule(
            "Flaky",
            "test",
            (m, r) -> {
              if (broken[0]) {
                throw new IllegalStateException("boom");
              }
              return List.of(new Observation(PROCESSOR, 1));
            },
            0,
            Duration.ofMinutes(5),
            Duration.ZERO,
            Duration.ZERO,
            Severity.SEVERITY_WARNING,
            Map.of(),
            Map.of(),
            Map.of());
    RuleEngine engine =
        new RuleEngine(
            List.of(flaky, rule(Duration.ZERO, Duration.ZERO)), silences, Duration.ofHours(1), 100);
    engine.evaluate(mesh);
    broken[0] = true;
    mesh.breach(PROCESSOR, 0);
    mesh.advance(Duration.ofSeconds(5));

    Evaluation e = engine.evaluate(mesh);

    assertThat(e.changes()).extracting(Alert::getRule).containsExactly("NoHealthyInstance");
    assertThat(engine.firing())
        .extracting(Alert::getRule)
        .containsExactlyInAnyOrder("Flaky", "NoHealthyInstance");
  }
}
