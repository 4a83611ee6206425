package dev.docmesh.monitor.notify;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.docmesh.proto.monitor.v1.Alert;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * POSTs the Alertmanager webhook payload (version 4), so any receiver written for Alertmanager
 * works unchanged. One call carries the alerts of one rule in one state.
 */
public final class WebhookNotifier implements Notifier {
  private final URI url;
  private final Supplier<String> externalUrl;
  private final Http http;

  public WebhookNotifier(URI url, Supplier<String> externalUrl, Duration timeout) {
    this.url = url;
    this.externalUrl = externalUrl;
    this.http = new Http(timeout);
  }

  @Override
  public String name() {
    return "webhook " + url;
  }

  @Override
  public void send(List<Alert> alerts) throws Exception {
    http.postJson(url, AlertJson.JSON.writeValueAsString(payload(alerts)));
  }

  ObjectNode payload(List<Alert> alerts) {
    String rule = alerts.get(0).getRule();
    boolean anyFiring = alerts.stream().anyMatch(a -> "firing".equals(AlertJson.status(a)));
    ObjectNode p = AlertJson.JSON.createObjectNode();
    p.put("version", "4");
    p.put("groupKey", "{}:{alertname=\"" + rule + "\"}");
    p.put("truncatedAlerts", 0);
    p.put("status", anyFiring ? "firing" : "resolved");
    p.put("receiver", "docmesh-monitor");
    p.set("groupLabels", AlertJson.map(Map.of("alertname", rule)));
    p.set("commonLabels", AlertJson.map(common(alerts.stream().map(Alert::getLabelsMap).toList())));
    p.set(
        "commonAnnotations",
        AlertJson.map(common(alerts.stream().map(Alert::getAnnotationsMap).toList())));
    p.put("externalURL", externalUrl.get());
    ArrayNode list = p.putArray("alerts");
    for (Alert a : alerts) {
      ObjectNode n = list.addObject();
      n.put("status", AlertJson.status(a));
      n.set("labels", AlertJson.map(a.getLabelsMap()));
      n.set("annotations", AlertJson.map(a.getAnnotationsMap()));
      n.put("startsAt", AlertJson.time(a.getStartsAt()));
      n.put("endsAt", a.hasEndsAt() ? AlertJson.time(a.getEndsAt()) : AlertJson.ZERO_TIME);
      n.put("generatorURL", AlertJson.generatorUrl(externalUrl.get(), a));
      n.put("fingerprint", a.getId());
    }
    return p;
  }

  private static Map<String, String> common(List<Map<String, String>> maps) {
    Map<String, String> out = new HashMap<>(maps.get(0));
    for (Map<String, String> m : maps) {
      out.entrySet().removeIf(e -> !e.getValue().equals(m.get(e.getKey())));
    }
    return out;
  }
}
