package dev.docmesh.cli;

import dev.docmesh.docgen.DocumentGenerator;
import dev.docmesh.docgen.DocumentSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Documents made by the project's generator, shared by {@code demo} and {@code generate}. */
final class DemoDocuments {
  /** A handful from a few pages to a hundred: headings, lists, a table, header/footer, outline. */
  static final List<DocumentSpec> DEMO =
      List.of(
          new DocumentSpec("Field Notes", 3, 1),
          new DocumentSpec("Quarterly Operations Report", 12, 2),
          new DocumentSpec("Regional Logistics Review", 40, 3),
          new DocumentSpec("Annual Infrastructure Plan", 100, 4));

  private DemoDocuments() {}

  static List<Path> generate(Path dir) throws IOException {
    return write(dir, DEMO);
  }

  static List<Path> write(Path dir, List<DocumentSpec> specs) throws IOException {
    Files.createDirectories(dir);
    DocumentGenerator generator = new DocumentGenerator();
    List<Path> files = new ArrayList<>();
    for (DocumentSpec spec : specs) {
      Path file =
          dir.resolve(
              spec.title().toLowerCase().replaceAll("[^a-z0-9]+", "-")
                  + "-"
                  + spec.pageCount()
                  + "p.pdf");
      Files.write(file, generator.generate(spec).pdf());
      files.add(file);
    }
    return files;
  }
}
