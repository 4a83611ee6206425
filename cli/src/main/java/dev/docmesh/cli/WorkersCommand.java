package dev.docmesh.cli;

import dev.docmesh.proto.orchestrator.v1.ListWorkersRequest;
import dev.docmesh.proto.orchestrator.v1.ListWorkersResponse;
import dev.docmesh.proto.orchestrator.v1.WorkerInfo;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(name = "workers", description = "List workers that polled recently.")
final class WorkersCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (Clients clients = new Clients(global)) {
      ListWorkersResponse r = clients.orchestrator().listWorkers(ListWorkersRequest.getDefaultInstance());
      if (global.json) {
        out.println(Output.json(r));
      } else {
        List<String[]> rows = new ArrayList<>();
        for (WorkerInfo w : r.getWorkersList()) {
          rows.add(new String[] {w.getWorkerId(), w.getSlotsBusy() + "/" + w.getSlotsTotal(),
              String.valueOf(w.getActiveLeases()),
              Instant.ofEpochSecond(w.getLastPollTime().getSeconds()).toString(), String.join(",", w.getProcessorsList())});
        }
        Output.table(out, new String[] {"WORKER", "SLOTS", "LEASES", "LAST POLL", "PROCESSORS"}, rows);
      }
      out.flush();
      return Docmesh.OK;
    }
  }
}
