package dev.docmesh.monitor.notify;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.docmesh.proto.monitor.v1.Alert;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * POSTs alerts to Alertmanager's API ({@code /api/v2/alerts}). Alertmanager resolves an alert by
 * itself once its {@code endsAt} passes, so a firing alert claims to last a few repeat intervals;
 * each repeat reminder extends it, and a monitor that dies lets it expire.
 */
public final class AlertmanagerNotifier implements Notifier {
  private static final int VALIDITY_IN_REPEATS = 3;

  private final URI url;
  private final Supplier<String> externalUrl;
  private final Duration repeatInterval;
  private final Clock clock;
  private final Http http;

  public AlertmanagerNotifier(
      URI baseUrl,
      Supplier<String> externalUrl,
      Duration repeatInterval,
      Duration timeout,
      Clock clock) {
    String base = baseUrl.toString().replaceAll("/+$", "");
    this.url = URI.create(base + "/api/v2/alerts");
    this.externalUrl = externalUrl;
    this.repeatInterval = repeatInterval;
    this.clock = clock;
    this.http = new Http(timeout);
  }

  @Override
  public String name() {
    return "alertmanager " + url;
  }

  @Override
  public void send(List<Alert> alerts) throws Exception {
    http.postJson(url, AlertJson.JSON.writeValueAsString(payload(alerts)));
  }

  ArrayNode payload(List<Alert> alerts) {
    ArrayNode list = AlertJson.JSON.createArrayNode();
    for (Alert a : alerts) {
      ObjectNode n = list.addObject();
      n.set("labels", AlertJson.map(a.getLabelsMap()));
      n.set("annotations", AlertJson.map(a.getAnnotationsMap()));
      n.put("startsAt", AlertJson.time(a.getStartsAt()));
      n.put(
          "endsAt",
          a.hasEndsAt()
              ? AlertJson.time(a.getEndsAt())
              : clock.instant().plus(repeatInterval.multipliedBy(VALIDITY_IN_REPEATS)).toString());
      n.put("generatorURL", AlertJson.generatorUrl(externalUrl.get(), a));
    }
    return list;
  }
}
