package dev.docmesh.monitor.alerts;

import com.google.protobuf.util.Timestamps;
import dev.docmesh.monitor.fleet.MeshView;
import dev.docmesh.proto.monitor.v1.Alert;
import dev.docmesh.proto.monitor.v1.AlertState;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates the rules against the mesh, Prometheus-style: a condition that holds makes a PENDING
 * alert, which fires once it has held for the rule's {@code for}; a firing alert resolves once the
 * condition has not held for {@code keep_firing_for}. Receivers hear of firing and resolved, and of
 * a still-firing alert again only after the repeat interval. Time comes from the view, so tests
 * drive it with a fake clock.
 */
public final class RuleEngine {
  private static final Logger log = LoggerFactory.getLogger(RuleEngine.class);

  private final List<AlertRule> rules;
  private final Silences silences;
  private final Duration repeatInterval;
  private final int historyLimit;
  private final Map<String, Tracked> active = new LinkedHashMap<>();
  private final Deque<Alert> resolved = new ArrayDeque<>();

  public RuleEngine(
      List<AlertRule> rules, Silences silences, Duration repeatInterval, int historyLimit) {
    this.rules = List.copyOf(rules);
    this.silences = silences;
    this.repeatInterval = repeatInterval;
    this.historyLimit = historyLimit;
  }

  public List<AlertRule> rules() {
    return rules;
  }

  /** One alert as the engine tracks it between evaluations. */
  private static final class Tracked {
    final AlertRule rule;
    final String id;
    final Map<String, String> labels;
    AlertState state = AlertState.ALERT_STATE_PENDING;
    Instant since;
    Instant lastTrue;
    double value;
    Instant lastNotified;
    boolean notifiedFiring;
    boolean silenced;

    Tracked(AlertRule rule, String id, Map<String, String> labels, Instant now) {
      this.rule = rule;
      this.id = id;
      this.labels = labels;
      this.since = now;
    }
  }

  public synchronized Evaluation evaluate(MeshView mesh) {
    Instant now = mesh.now();
    List<Alert> changes = new ArrayList<>();
    List<Alert> notifications = new ArrayList<>();
    Map<String, Boolean> seen = new LinkedHashMap<>();
    for (AlertRule rule : rules) {
      List<Observation> breaches;
      try {
        breaches = rule.condition().breaches(mesh, rule);
      } catch (RuntimeException e) {
        // one broken rule must not stop the others; keep its alerts as they are
        log.warn("rule {} failed to evaluate", rule.name(), e);
        active.values().stream().filter(t -> t.rule == rule).forEach(t -> seen.put(t.id, true));
        continue;
      }
      for (Observation o : breaches) {
        if (!rule.matches(o.labels())) {
          continue;
        }
        Map<String, String> labels = labels(rule, o.labels());
        String id = fingerprint(labels);
        seen.put(id, true);
        Tracked t = active.computeIfAbsent(id, k -> new Tracked(rule, k, labels, now));
        t.value = o.value();
        t.lastTrue = now;
        if (t.state == AlertState.ALERT_STATE_PENDING
            && !now.isBefore(t.since.plus(rule.pendingFor()))) {
          t.state = AlertState.ALERT_STATE_FIRING;
          t.since = now;
          changes.add(toProto(t, null));
        }
      }
    }
    for (Iterator<Tracked> it = active.values().iterator(); it.hasNext(); ) {
      Tracked t = it.next();
      t.silenced = silences.silenced(t.rule.name(), t.labels, now);
      if (seen.containsKey(t.id)) {
        if (t.state == AlertState.ALERT_STATE_FIRING
            && !t.silenced
            && (t.lastNotified == null || !now.isBefore(t.lastNotified.plus(repeatInterval)))) {
          t.lastNotified = now;
          t.notifiedFiring = true;
          notifications.add(toProto(t, null));
        }
        continue;
      }
      if (t.state == AlertState.ALERT_STATE_PENDING) {
        it.remove();
      } else if (!now.isBefore(t.lastTrue.plus(t.rule.keepFiringFor()))) {
        it.remove();
        Alert done = toProto(t, now);
        changes.add(done);
        remember(done);
        if (t.notifiedFiring) {
          notifications.add(done);
        }
      }
    }
    return new Evaluation(changes, notifications);
  }

  private void remember(Alert done) {
    resolved.addFirst(done);
    while (resolved.size() > historyLimit) {
      resolved.removeLast();
    }
  }

  /** Pending and firing alerts, newest first. */
  public synchronized List<Alert> active() {
    List<Alert> out = new ArrayList<>();
    active.values().forEach(t -> out.add(toProto(t, null)));
    out.sort(Comparator.comparing((Alert a) -> Timestamps.toMillis(a.getStartsAt())).reversed());
    return out;
  }

  public synchronized List<Alert> firing() {
    return active().stream().filter(a -> a.getState() == AlertState.ALERT_STATE_FIRING).toList();
  }

  /** Resolved alerts kept in memory, newest first. */
  public synchronized List<Alert> resolved() {
    return List.copyOf(resolved);
  }

  private static Map<String, String> labels(AlertRule rule, Map<String, String> observed) {
    Map<String, String> labels = new TreeMap<>(rule.labels());
    labels.putAll(observed);
    labels.put("alertname", rule.name());
    labels.put("severity", severityName(rule));
    return labels;
  }

  static String severityName(AlertRule rule) {
    return switch (rule.severity()) {
      case SEVERITY_INFO -> "info";
      case SEVERITY_CRITICAL -> "critical";
      default -> "warning";
    };
  }

  private static String fingerprint(Map<String, String> sortedLabels) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sortedLabels.forEach(
          (k, v) -> sha.update((k + "\u0000" + v + "\u0000").getBytes(StandardCharsets.UTF_8)));
      return HexFormat.of().formatHex(sha.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Alert toProto(Tracked t, Instant endsAt) {
    Alert.Builder b =
        Alert.newBuilder()
            .setId(t.id)
            .setRule(t.rule.name())
            .setState(endsAt == null ? t.state : AlertState.ALERT_STATE_RESOLVED)
            .setSeverity(t.rule.severity())
            .putAllLabels(t.labels)
            .putAllAnnotations(annotations(t))
            .setStartsAt(Timestamps.fromMillis(t.since.toEpochMilli()))
            .setValue(t.value)
            .setSilenced(t.silenced);
    if (endsAt != null) {
      b.setEndsAt(Timestamps.fromMillis(endsAt.toEpochMilli()));
    }
    return b.build();
  }

  private static Map<String, String> annotations(Tracked t) {
    Map<String, String> out = new TreeMap<>();
    t.rule.annotations().forEach((k, template) -> out.put(k, fill(template, t)));
    return out;
  }

  private static String fill(String template, Tracked t) {
    String s = template.replace("{{value}}", formatValue(t.value));
    for (Map.Entry<String, String> l : t.labels.entrySet()) {
      s = s.replace("{{" + l.getKey() + "}}", l.getValue());
    }
    return s;
  }

  private static String formatValue(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15
        ? Long.toString((long) v)
        : String.format(java.util.Locale.ROOT, "%.3g", v);
  }
}
