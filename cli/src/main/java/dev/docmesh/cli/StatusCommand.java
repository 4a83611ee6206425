package dev.docmesh.cli;

import dev.docmesh.proto.monitor.v1.GetSystemStatusRequest;
import dev.docmesh.proto.monitor.v1.HealthState;
import dev.docmesh.proto.monitor.v1.InstanceStatus;
import dev.docmesh.proto.monitor.v1.ServiceStatus;
import dev.docmesh.proto.monitor.v1.SystemStatus;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "status", description = "Health and golden signals of the mesh, from the monitor.")
final class StatusCommand extends RemoteCommand {

  @Override
  protected int run(Clients clients, PrintWriter out) {
    SystemStatus s =
        clients.monitor().getSystemStatus(GetSystemStatusRequest.getDefaultInstance()).getStatus();
    print(
        out,
        s,
        o -> {
          o.printf(
              "mesh %s   queue %d   active jobs %d   worker slots %d/%d   alerts %d%n%n",
              name(s.getHealth()),
              s.getQueueDepth(),
              s.getActiveJobs(),
              s.getWorkerSlotsBusy(),
              s.getWorkerSlotsTotal(),
              s.getActiveAlertsCount());
          List<String[]> rows = new ArrayList<>();
          for (ServiceStatus svc : s.getServicesList()) {
            for (InstanceStatus i : svc.getInstancesList()) {
              rows.add(
                  new String[] {
                    svc.getName(),
                    i.getAddress(),
                    name(i.getHealth()),
                    String.format("%.1f", i.getSignals().getRequestsPerSecond()),
                    String.format("%.1f%%", 100 * i.getSignals().getErrorRate()),
                    String.format(
                        "%.1f ms",
                        i.getSignals().getLatencyP99().getSeconds() * 1e3
                            + i.getSignals().getLatencyP99().getNanos() / 1e6)
                  });
            }
          }
          Output.table(
              o, new String[] {"SERVICE", "INSTANCE", "HEALTH", "RPS", "ERRORS", "P99"}, rows);
        });
    return s.getHealth() == HealthState.HEALTH_STATE_SERVING ? Docmesh.OK : Docmesh.JOB_FAILED;
  }

  static String name(HealthState h) {
    return h.name().replace("HEALTH_STATE_", "");
  }
}
