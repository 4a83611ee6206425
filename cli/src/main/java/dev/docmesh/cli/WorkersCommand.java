package dev.docmesh.cli;

import dev.docmesh.proto.orchestrator.v1.ListWorkersRequest;
import dev.docmesh.proto.orchestrator.v1.ListWorkersResponse;
import dev.docmesh.proto.orchestrator.v1.WorkerInfo;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "workers", description = "List workers that polled recently.")
final class WorkersCommand extends RemoteCommand {
  @Override
  protected int run(Clients clients, PrintWriter out) {
    ListWorkersResponse r =
        clients.orchestrator().listWorkers(ListWorkersRequest.getDefaultInstance());
    print(
        out,
        r,
        o -> {
          List<String[]> rows = new ArrayList<>();
          for (WorkerInfo w : r.getWorkersList()) {
            rows.add(
                new String[] {
                  w.getWorkerId(),
                  w.getSlotsBusy() + "/" + w.getSlotsTotal(),
                  String.valueOf(w.getActiveLeases()),
                  Instant.ofEpochSecond(w.getLastPollTime().getSeconds()).toString(),
                  String.join(",", w.getProcessorsList())
                });
          }
          Output.table(
              o, new String[] {"WORKER", "SLOTS", "LEASES", "LAST POLL", "PROCESSORS"}, rows);
        });
    return Docmesh.OK;
  }
}
