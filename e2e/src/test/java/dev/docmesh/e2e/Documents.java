package dev.docmesh.e2e;

import dev.docmesh.docgen.DocumentGenerator;
import dev.docmesh.docgen.DocumentSpec;
import java.util.HashMap;
import java.util.Map;

/**
 * Long PDFs that keep a processor busy, from the project's generator (the corpus is {@code
 * docgen.Corpus}).
 */
final class Documents {
  private static final Map<Integer, byte[]> LONG = new HashMap<>();

  private Documents() {}

  /** A PDF of {@code pages} pages of text: seconds of pdf.text work, so a test can act mid-task. */
  static synchronized byte[] longPdf(int pages) {
    return LONG.computeIfAbsent(
        pages, n -> new DocumentGenerator().generate(new DocumentSpec("Long Report", n, 7)).pdf());
  }
}
