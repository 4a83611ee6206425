package dev.docmesh.monitor.alerts;

import dev.docmesh.proto.monitor.v1.Alert;
import java.util.List;

/**
 * What one evaluation changed: alerts that started firing or resolved (for watchers), and the
 * alerts to notify receivers of (changes minus silenced ones, plus repeat reminders).
 */
public record Evaluation(List<Alert> changes, List<Alert> notifications) {}
