package dev.docmesh.cli;

import dev.docmesh.proto.monitor.v1.Alert;
import dev.docmesh.proto.monitor.v1.ListAlertsRequest;
import dev.docmesh.proto.monitor.v1.WatchAlertsRequest;
import dev.docmesh.proto.monitor.v1.WatchAlertsResponse;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "alerts", description = "Active alerts; --watch streams firing and resolved ones.")
final class AlertsCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--watch", description = "Keep streaming alerts as they fire and resolve.")
  boolean watch;

  @Option(names = "--all", description = "Include resolved alerts from the history.")
  boolean all;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (Clients clients = new Clients(global)) {
      if (watch) {
        Iterator<WatchAlertsResponse> it = dev.docmesh.proto.monitor.v1.MonitorServiceGrpc
            .newBlockingStub(clientsChannel(clients)).watchAlerts(WatchAlertsRequest.newBuilder().setIncludeActive(true).build());
        while (it.hasNext()) {
          print(out, it.next().getAlert());
        }
        return Docmesh.OK;
      }
      for (Alert a : clients.monitor().listAlerts(ListAlertsRequest.newBuilder().setIncludeResolved(all).build()).getAlertsList()) {
        print(out, a);
      }
      out.flush();
      return Docmesh.OK;
    }
  }

  private static io.grpc.Channel clientsChannel(Clients clients) {
    return clients.monitor().getChannel();
  }

  private void print(PrintWriter out, Alert a) {
    if (global.json) {
      out.println(Output.jsonLine(a));
    } else {
      out.printf("%-9s %-9s %-26s %s  %s%n", a.getState().name().replace("ALERT_STATE_", ""),
          a.getSeverity().name().replace("SEVERITY_", ""), a.getRule(), a.getLabelsMap(),
          a.getAnnotationsOrDefault("summary", ""));
    }
    out.flush();
  }
}
