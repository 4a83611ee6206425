package dev.docmesh.cli;

import dev.docmesh.proto.orchestrator.v1.ListPipelinesRequest;
import dev.docmesh.proto.orchestrator.v1.ListPipelinesResponse;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.Stage;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(name = "pipelines", description = "List the pipelines jobs may name.")
final class PipelinesCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (Clients clients = new Clients(global)) {
      ListPipelinesResponse r = clients.orchestrator().listPipelines(ListPipelinesRequest.getDefaultInstance());
      if (global.json) {
        out.println(Output.json(r));
      } else {
        for (Pipeline p : r.getPipelinesList()) {
          out.printf("%s  %s%n", p.getName(), p.getDescription());
          for (Stage s : p.getStagesList()) {
            out.printf("    %-14s %-18s after %s%n", s.getName(), s.getProcessor(),
                s.getAfterCount() == 0 ? "-" : String.join(", ", s.getAfterList()));
          }
        }
      }
      out.flush();
      return Docmesh.OK;
    }
  }
}
