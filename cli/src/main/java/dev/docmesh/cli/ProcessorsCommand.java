package dev.docmesh.cli;

import dev.docmesh.proto.processor.v1.ListProcessorsRequest;
import dev.docmesh.proto.processor.v1.ListProcessorsResponse;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "processors", description = "List the processors the processor service offers.")
final class ProcessorsCommand extends RemoteCommand {
  @Override
  protected int run(Clients clients, PrintWriter out) {
    ListProcessorsResponse r =
        clients.processor().listProcessors(ListProcessorsRequest.getDefaultInstance());
    print(
        out,
        r,
        o -> {
          List<String[]> rows = new ArrayList<>();
          for (ProcessorInfo p : r.getProcessorsList()) {
            rows.add(
                new String[] {
                  p.getName(),
                  p.getVersion(),
                  p.getOutput(),
                  String.join(",", p.getMediaTypesList()),
                  p.getDescription()
                });
          }
          Output.table(
              o, new String[] {"NAME", "VERSION", "OUTPUT", "MEDIA TYPES", "DESCRIPTION"}, rows);
        });
    return Docmesh.OK;
  }
}
