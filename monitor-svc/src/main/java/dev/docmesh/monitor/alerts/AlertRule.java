package dev.docmesh.monitor.alerts;

import dev.docmesh.proto.monitor.v1.Severity;
import java.time.Duration;
import java.util.Map;

/**
 * One alert rule.
 *
 * @param name rule name, the {@code alertname} label
 * @param conditionName what the rule checks (see {@link Conditions})
 * @param condition the check itself
 * @param threshold the limit the condition compares with (seconds for times, 0..1 for rates)
 * @param window the span rates and percentiles are taken over
 * @param pendingFor how long the condition must hold before the alert fires
 * @param keepFiringFor how long a firing alert stays firing after the condition stops holding
 * @param severity severity
 * @param matchers only label sets that include all of these
 * @param labels added to the alert's labels
 * @param annotations summary/description; {@code {{label}}} and {@code {{value}}} are filled in
 */
public record AlertRule(
    String name,
    String conditionName,
    Condition condition,
    double threshold,
    Duration window,
    Duration pendingFor,
    Duration keepFiringFor,
    Severity severity,
    Map<String, String> matchers,
    Map<String, String> labels,
    Map<String, String> annotations) {

  public AlertRule {
    matchers = Map.copyOf(matchers);
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
  }

  boolean matches(Map<String, String> observed) {
    return matchers.entrySet().stream()
        .allMatch(m -> m.getValue().equals(observed.get(m.getKey())));
  }
}
