package dev.docmesh.monitor.notify;

import dev.docmesh.proto.monitor.v1.Alert;
import dev.docmesh.proto.monitor.v1.AlertState;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes each notification to the log: firing as a warning, resolved as info. */
public final class LogNotifier implements Notifier {
  private static final Logger log = LoggerFactory.getLogger("dev.docmesh.monitor.alerts");

  @Override
  public String name() {
    return "log";
  }

  @Override
  public void send(List<Alert> alerts) {
    for (Alert a : alerts) {
      boolean firing = a.getState() == AlertState.ALERT_STATE_FIRING;
      (firing ? log.atWarn() : log.atInfo())
          .addKeyValue("alert", a.getRule())
          .addKeyValue("state", firing ? "firing" : "resolved")
          .addKeyValue("labels", a.getLabelsMap())
          .addKeyValue("value", a.getValue())
          .log(
              "alert {} {}: {}",
              a.getRule(),
              firing ? "firing" : "resolved",
              a.getAnnotationsOrDefault("summary", ""));
    }
  }
}
