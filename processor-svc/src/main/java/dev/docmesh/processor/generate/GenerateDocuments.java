package dev.docmesh.processor.generate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes generated PDFs for demos and load tests:
 * {@code java -cp processor-svc.jar dev.docmesh.processor.generate.GenerateDocuments <dir> <count> <pages> [seed]}
 * writes {@code <dir>/generated-<n>.pdf}, n = 1..count, each with its own seed.
 */
public final class GenerateDocuments {
  private GenerateDocuments() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 3) {
      System.err.println("usage: GenerateDocuments <dir> <count> <pages> [seed]");
      System.exit(2);
    }
    Path dir = Files.createDirectories(Path.of(args[0]));
    int count = Integer.parseInt(args[1]);
    int pages = Integer.parseInt(args[2]);
    long seed = args.length > 3 ? Long.parseLong(args[3]) : 1;
    DocumentGenerator generator = new DocumentGenerator();
    for (int n = 1; n <= count; n++) {
      GeneratedDocument doc = generator.generate(new DocumentSpec("Generated Report " + n, pages, seed + n));
      Path file = dir.resolve("generated-" + n + ".pdf");
      Files.write(file, doc.pdf());
      System.out.println(file + " " + pages + " pages, " + doc.pdf().length + " bytes");
    }
  }
}
