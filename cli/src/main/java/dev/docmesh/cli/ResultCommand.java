package dev.docmesh.cli;

import dev.docmesh.proto.document.v1.Element;
import dev.docmesh.proto.document.v1.PageText;
import dev.docmesh.proto.orchestrator.v1.GetJobResultRequest;
import dev.docmesh.proto.orchestrator.v1.JobResult;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "result", description = "Print the assembled result of a finished job.")
final class ResultCommand extends RemoteCommand {
  enum Format {
    json,
    text,
    markdown
  }

  @Parameters(paramLabel = "JOB")
  String jobId;

  @Option(
      names = "--format",
      description = "json, text or markdown (default text; json with --json).")
  Format format;

  @Override
  protected int run(Clients clients, PrintWriter out) {
    JobResult r =
        clients
            .orchestrator()
            .getJobResult(GetJobResultRequest.newBuilder().setJobId(jobId).build())
            .getResult();
    switch (format != null ? format : global.json ? Format.json : Format.text) {
      case json -> out.println(Output.json(r));
      case text -> text(out, r);
      case markdown -> markdown(out, r);
    }
    return Docmesh.OK;
  }

  private static void text(PrintWriter out, JobResult r) {
    var m = r.getMetadata();
    out.printf(
        "title     %s%nauthor    %s%nproducer  %s%npages     %d%nversion   %s%n",
        m.getTitle(), m.getAuthor(), m.getProducer(), m.getPageCount(), m.getPdfVersion());
    out.printf("elements  %d%nrelations %d%n", r.getElementsCount(), r.getRelationshipsCount());
    for (PageText p : r.getPagesList()) {
      out.printf("%n--- page %d ---%n%s%n", p.getPageNumber(), p.getText().strip());
    }
  }

  private static void markdown(PrintWriter out, JobResult r) {
    if (r.getElementsCount() == 0) {
      if (!r.getMetadata().getTitle().isEmpty()) {
        out.printf("# %s%n%n", r.getMetadata().getTitle());
      }
      for (PageText p : r.getPagesList()) {
        out.printf("%s%n%n", p.getText().strip());
      }
      return;
    }
    for (Element e : r.getElementsList()) {
      switch (e.getType()) {
        case ELEMENT_TYPE_TITLE -> out.printf("# %s%n%n", e.getText());
        case ELEMENT_TYPE_HEADING ->
            out.printf("%s %s%n%n", "#".repeat(Math.min(6, e.getHeadingLevel() + 1)), e.getText());
        case ELEMENT_TYPE_LIST_ITEM ->
            out.printf("- %s%n", e.getText().replaceFirst("^[•\\-*]\\s*", ""));
        case ELEMENT_TYPE_TABLE -> table(out, e);
        case ELEMENT_TYPE_CAPTION -> out.printf("*%s*%n%n", e.getText());
        case ELEMENT_TYPE_HEADER, ELEMENT_TYPE_FOOTER, ELEMENT_TYPE_PAGE_NUMBER -> {}
        default -> out.printf("%s%n%n", e.getText());
      }
    }
  }

  private static void table(PrintWriter out, Element e) {
    var t = e.getTable();
    if (t.getColumnCount() == 0) {
      out.printf("```%n%s%n```%n%n", e.getText());
      return;
    }
    String[][] grid = new String[t.getRowCount()][t.getColumnCount()];
    t.getCellsList()
        .forEach(c -> grid[c.getRow()][c.getColumn()] = c.getText().replace("|", "\\|"));
    for (int row = 0; row < grid.length; row++) {
      StringBuilder line = new StringBuilder("|");
      for (String cell : grid[row]) {
        line.append(' ').append(cell == null ? "" : cell).append(" |");
      }
      out.println(line);
      if (row == 0) {
        out.println("|" + " --- |".repeat(grid[row].length));
      }
    }
    out.println();
  }
}
