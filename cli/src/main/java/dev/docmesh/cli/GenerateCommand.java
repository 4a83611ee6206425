package dev.docmesh.cli;

import dev.docmesh.docgen.DocumentSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The project's document generator: realistic PDFs with known structure, for trying and
 * load-testing docmesh.
 */
@Command(
    name = "generate",
    description = "Write generated PDFs (title, headings, lists, a table, header/footer, outline).")
final class GenerateCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--pages", required = true, description = "Pages per document (1-10000).")
  int pages;

  @Option(
      names = "--out",
      required = true,
      description = "Directory to write to (created if missing).")
  Path out;

  @Option(
      names = "--count",
      description = "How many documents (default ${DEFAULT-VALUE}).",
      defaultValue = "1")
  int count;

  @Option(
      names = "--title",
      description = "Title of the documents (default ${DEFAULT-VALUE}).",
      defaultValue = "Quarterly Operations Report")
  String title;

  @Option(
      names = "--seed",
      description = "Seed of the first document; each next one adds 1 (default ${DEFAULT-VALUE}).",
      defaultValue = "42")
  long seed;

  @Override
  public Integer call() throws Exception {
    if (count < 1) {
      throw new IllegalArgumentException("--count must be at least 1");
    }
    List<DocumentSpec> specs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      specs.add(new DocumentSpec(count == 1 ? title : title + " " + (i + 1), pages, seed + i));
    }
    PrintWriter w = spec.commandLine().getOut();
    for (Path p : DemoDocuments.write(out, specs)) {
      w.println(p);
    }
    w.flush();
    return Docmesh.OK;
  }
}
