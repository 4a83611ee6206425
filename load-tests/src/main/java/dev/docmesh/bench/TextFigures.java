package dev.docmesh.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;

/** pdf.text through processor-svc over loopback ÷ PDFBox's PDFTextStripper in this JVM, same corpus. */
final class TextFigures {
  private final Corpus corpus;
  private final Processors processors;

  TextFigures(Corpus corpus, Processors processors) {
    this.corpus = corpus;
    this.processors = processors;
  }

  /** Corpus passes on both sides until the JIT has settled (PDFBox needs about ten). */
  void warmUp(int passes) {
    for (int i = 0; i < passes; i++) {
      service(2);
      inProcess(2);
    }
  }

  void measure(Figure f, int callers) {
    double svc = service(callers);
    double raw = inProcess(callers);
    f.add(svc, raw);
  }

  /** Pages per second of pdf.text called on processor-svc. */
  double service(int callers) {
    double s = Parallel.run(corpus.docs(), callers, d -> processors.process("pdf.text", d, List.of()));
    return corpus.pages() / s;
  }

  /** Pages per second of PDFTextStripper in-process (one document per thread, loaded from its bytes). */
  double inProcess(int callers) {
    List<Corpus.Doc> docs = new ArrayList<>(corpus.docs());
    double s = Parallel.run(docs, callers, d -> {
      try (PDDocument doc = Loader.loadPDF(d.bytes())) {
        PDFTextStripper stripper = new PDFTextStripper();
        stripper.setLineSeparator("\n");
        stripper.setPageEnd("");
        for (int p = 1; p <= doc.getNumberOfPages(); p++) {
          stripper.setStartPage(p);
          stripper.setEndPage(p);
          stripper.getText(doc);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(d.name(), e);
      }
    });
    return corpus.pages() / s;
  }
}
