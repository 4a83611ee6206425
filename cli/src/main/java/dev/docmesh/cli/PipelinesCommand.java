package dev.docmesh.cli;

import dev.docmesh.proto.orchestrator.v1.ListPipelinesRequest;
import dev.docmesh.proto.orchestrator.v1.ListPipelinesResponse;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.Stage;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

@Command(name = "pipelines", description = "List the pipelines jobs may name.")
final class PipelinesCommand extends RemoteCommand {
  @Override
  protected int run(Clients clients, PrintWriter out) {
    ListPipelinesResponse r =
        clients.orchestrator().listPipelines(ListPipelinesRequest.getDefaultInstance());
    print(
        out,
        r,
        o -> {
          for (Pipeline p : r.getPipelinesList()) {
            o.printf("%s  %s%n", p.getName(), p.getDescription());
            for (Stage s : p.getStagesList()) {
              o.printf(
                  "    %-14s %-18s after %s%n",
                  s.getName(),
                  s.getProcessor(),
                  s.getAfterCount() == 0 ? "-" : String.join(", ", s.getAfterList()));
            }
          }
        });
    return Docmesh.OK;
  }
}
