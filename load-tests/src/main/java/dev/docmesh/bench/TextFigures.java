package dev.docmesh.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;

/**
 * pdf.text through processor-svc over loopback ÷ PDFBox's PDFTextStripper in this JVM, same corpus.
 */
final class TextFigures {
  private final Corpus corpus;
  private final Processors processors;
  private final ServiceProcess processor;

  /** pdf.text pages/s through processor-svc with {@code callers} callers, ÷ PDFBox in-process. */
  static Figure throughput(int callers) {
    return new Figure(
        "pdf.text via processor-svc, " + callers + (callers == 1 ? " caller" : " callers"),
        "pages/s",
        "PDFTextStripper in-process",
        false);
  }

  /** pdf.text CPU per page in processor-svc with {@code callers} callers, ÷ PDFBox in-process. */
  static Figure cpuPerPage(int callers) {
    return new Figure(
        "pdf.text CPU per page in processor-svc, "
            + callers
            + (callers == 1 ? " caller" : " callers"),
        "CPU-ms/page",
        "PDFTextStripper in-process",
        true);
  }

  TextFigures(Corpus corpus, ServiceProcess processor) {
    this.corpus = corpus;
    this.processor = processor;
    this.processors = new Processors(processor.channel());
  }

  /**
   * Corpus rounds in each timed side of a measured pass (a warm-up pass runs one), so the figures
   * are sustained throughput. Over one round, 2 callers timed the makespan of the corpus's 117-page
   * document: an in-process thread cannot split it and the second one idled, while processor-svc
   * lends its idle core to the document's pages. One round (~0.2 s) also swung 0.6–1.1 of its
   * median from a GC, a compile or a neighbour's burst landing in it.
   */
  static final int ROUNDS = 4;

  /** Corpus passes on both sides until the JIT has settled (PDFBox needs about ten). */
  void warmUp(int passes) {
    warmUp(passes, false);
  }

  /** Same, with Tika's side warmed as well when it is measured. */
  void warmUp(int passes, boolean withTika) {
    for (int i = 0; i < passes; i++) {
      service(2, 1);
      inProcess(2, 1);
      if (withTika) {
        tika(2, 1);
      }
    }
  }

  /**
   * One pass of both sides; odd passes run the limit first, so drift in the machine's load hits
   * both alike. {@code cpu} gets CPU milliseconds a page (processor-svc's process ÷ this JVM's),
   * the figure that holds when other work on a shared machine steals wall time.
   */
  void measure(Figure f, Figure cpu, int callers, int pass) {
    double[] svc;
    double[] raw;
    if (pass % 2 == 0) {
      svc = timed(() -> service(callers, ROUNDS), processor::cpuSeconds);
      raw = timed(() -> inProcess(callers, ROUNDS), ProcCpu::self);
    } else {
      raw = timed(() -> inProcess(callers, ROUNDS), ProcCpu::self);
      svc = timed(() -> service(callers, ROUNDS), processor::cpuSeconds);
    }
    f.add(svc[0], raw[0]);
    int pages = corpus.pages() * ROUNDS;
    cpu.add(svc[1] * 1000 / pages, raw[1] * 1000 / pages);
  }

  /** {pages/s, CPU seconds the given process spent meanwhile}. */
  private static double[] timed(
      java.util.function.DoubleSupplier run, java.util.function.DoubleSupplier cpuClock) {
    double c0 = cpuClock.getAsDouble();
    double rate = run.getAsDouble();
    return new double[] {rate, cpuClock.getAsDouble() - c0};
  }

  /**
   * processor-svc's pdf.text with {@code callers} callers ÷ Apache Tika's AutoDetectParser on as
   * many threads in this JVM, back to back, alternating which goes first. Tika's text is PDFBox's
   * too, plus its own XHTML SAX layer; the service should beat it, not match it.
   */
  void measureTika(Figure f, int callers, int pass) {
    double svc;
    double tika;
    if (pass % 2 == 0) {
      svc = service(callers, ROUNDS);
      tika = tika(callers, ROUNDS);
    } else {
      tika = tika(callers, ROUNDS);
      svc = service(callers, ROUNDS);
    }
    f.add(svc, tika);
  }

  /**
   * Pages per second of Tika 3 in-process: {@code AutoDetectParser} with its default configuration
   * (text of every page into a {@code BodyContentHandler} without a size limit), one document per
   * thread.
   */
  double tika(int callers, int rounds) {
    double s =
        Parallel.run(
            docs(rounds),
            callers,
            d -> {
              org.xml.sax.ContentHandler text = new org.apache.tika.sax.BodyContentHandler(-1);
              try (java.io.InputStream in = org.apache.tika.io.TikaInputStream.get(d.bytes())) {
                TIKA.parse(
                    in,
                    text,
                    new org.apache.tika.metadata.Metadata(),
                    new org.apache.tika.parser.ParseContext());
              }
            });
    return corpus.pages() * rounds / s;
  }

  /** Thread-safe: one parser for every call, as Tika recommends. */
  private static final org.apache.tika.parser.Parser TIKA =
      new org.apache.tika.parser.AutoDetectParser();

  /** Pages per second of pdf.text called on processor-svc. */
  double service(int callers, int rounds) {
    double s =
        Parallel.run(docs(rounds), callers, d -> processors.process("pdf.text", d, List.of()));
    return corpus.pages() * rounds / s;
  }

  /**
   * Pages per second of PDFTextStripper in-process (one document per thread, loaded from its
   * bytes).
   */
  double inProcess(int callers, int rounds) {
    double s =
        Parallel.run(
            docs(rounds),
            callers,
            d -> {
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
    return corpus.pages() * rounds / s;
  }

  /** The corpus {@code rounds} times over, in order. */
  private List<Corpus.Doc> docs(int rounds) {
    List<Corpus.Doc> docs = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      docs.addAll(corpus.docs());
    }
    return docs;
  }
}
