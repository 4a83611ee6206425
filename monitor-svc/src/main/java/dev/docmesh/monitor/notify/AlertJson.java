package dev.docmesh.monitor.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Timestamp;
import dev.docmesh.proto.monitor.v1.Alert;
import dev.docmesh.proto.monitor.v1.AlertState;
import java.time.Instant;
import java.util.Map;

/** Alerts in the JSON shapes Alertmanager speaks (RFC 3339 times, "firing"/"resolved"). */
final class AlertJson {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Alertmanager's "no end" time in webhook payloads. */
  static final String ZERO_TIME = "0001-01-01T00:00:00Z";

  private AlertJson() {}

  static String status(Alert a) {
    return a.getState() == AlertState.ALERT_STATE_RESOLVED ? "resolved" : "firing";
  }

  static String time(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).toString();
  }

  static ObjectNode map(Map<String, String> values) {
    ObjectNode node = JSON.createObjectNode();
    new java.util.TreeMap<>(values).forEach(node::put);
    return node;
  }

  static String generatorUrl(String externalUrl, Alert a) {
    return externalUrl + "#alert-" + a.getId();
  }
}
