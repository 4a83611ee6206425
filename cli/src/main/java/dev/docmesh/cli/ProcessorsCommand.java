package dev.docmesh.cli;

import dev.docmesh.proto.processor.v1.ListProcessorsRequest;
import dev.docmesh.proto.processor.v1.ListProcessorsResponse;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(name = "processors", description = "List the processors the processor service offers.")
final class ProcessorsCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (Clients clients = new Clients(global)) {
      ListProcessorsResponse r = clients.processor().listProcessors(ListProcessorsRequest.getDefaultInstance());
      if (global.json) {
        out.println(Output.json(r));
      } else {
        List<String[]> rows = new ArrayList<>();
        for (ProcessorInfo p : r.getProcessorsList()) {
          rows.add(new String[] {p.getName(), p.getVersion(), p.getOutput(), String.join(",", p.getMediaTypesList()),
              p.getDescription()});
        }
        Output.table(out, new String[] {"NAME", "VERSION", "OUTPUT", "MEDIA TYPES", "DESCRIPTION"}, rows);
      }
      out.flush();
      return Docmesh.OK;
    }
  }
}
