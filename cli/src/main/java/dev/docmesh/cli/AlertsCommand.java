package dev.docmesh.cli;

import dev.docmesh.proto.monitor.v1.Alert;
import dev.docmesh.proto.monitor.v1.ListAlertsRequest;
import dev.docmesh.proto.monitor.v1.WatchAlertsRequest;
import dev.docmesh.proto.monitor.v1.WatchAlertsResponse;
import java.io.PrintWriter;
import java.util.Iterator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "alerts", description = "Active alerts; --watch streams firing and resolved ones.")
final class AlertsCommand extends RemoteCommand {

  @Option(names = "--watch", description = "Keep streaming alerts as they fire and resolve.")
  boolean watch;

  @Option(names = "--all", description = "Include resolved alerts from the history.")
  boolean all;

  @Override
  protected int run(Clients clients, PrintWriter out) {
    if (watch) {
      Iterator<WatchAlertsResponse> it =
          clients
              .monitor()
              .withDeadline(null)
              .watchAlerts(WatchAlertsRequest.newBuilder().setIncludeActive(true).build());
      while (it.hasNext()) {
        line(out, it.next().getAlert());
      }
      return Docmesh.OK;
    }
    for (Alert a :
        clients
            .monitor()
            .listAlerts(ListAlertsRequest.newBuilder().setIncludeResolved(all).build())
            .getAlertsList()) {
      line(out, a);
    }
    return Docmesh.OK;
  }

  private void line(PrintWriter out, Alert a) {
    if (global.json) {
      out.println(Output.jsonLine(a));
    } else {
      out.printf(
          "%-9s %-9s %-26s %s  %s%n",
          a.getState().name().replace("ALERT_STATE_", ""),
          a.getSeverity().name().replace("SEVERITY_", ""),
          a.getRule(),
          a.getLabelsMap(),
          a.getAnnotationsOrDefault("summary", ""));
    }
    out.flush();
  }
}
