package dev.docmesh.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.docgen.Corpus;
import dev.docmesh.proto.document.v1.DocumentText;
import dev.docmesh.proto.document.v1.PageText;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * pdf.text over real gRPC: text per page in order, and a progress event per page before the result.
 */
class PdfTextTest {
  @RegisterExtension static final ProcessorHarness harness = new ProcessorHarness();

  @Test
  void progressArrivesForEveryPageBeforeTheResult() {
    var outcome = harness.process("pdf.text", Corpus.read(Corpus.LARGE));
    List<ProcessResponse> responses = outcome.responses();

    assertThat(responses).hasSize(117 + 1);
    assertThat(responses.get(responses.size() - 1).hasResult()).isTrue();
    List<Progress> progress = outcome.progress();
    assertThat(progress)
        .extracting(Progress::getDone)
        .containsExactlyElementsOf(IntStream.rangeClosed(1, 117).mapToObj(i -> (long) i).toList());
    assertThat(progress)
        .allSatisfy(
            p -> {
              assertThat(p.getTotal()).isEqualTo(117);
              assertThat(p.getUnit()).isEqualTo("page");
              assertThat(p.getMessage()).isEqualTo("page " + p.getDone() + " of 117");
            });
    DocumentText text = outcome.ok().getText();
    assertThat(text.getPagesList())
        .extracting(PageText::getPageNumber)
        .containsExactlyElementsOf(IntStream.rangeClosed(1, 117).boxed().toList());
    assertThat(text.getPagesList().stream().filter(p -> !p.getText().isBlank()).count())
        .isGreaterThan(100);
  }

  @Test
  void aProgressIntervalSparesTheEventsThatComeSoonerThanItAndNothingElse() {
    byte[] large = Corpus.read(Corpus.LARGE);
    // an hour: no event can be due (the first counts from the start of the call) but the last,
    // which always goes ("117 of 117", so a watcher never ends on a stale page); the text is whole
    var quiet =
        harness.process(
            ProcessorHarness.request("pdf.text", large)
                .setProgressInterval(com.google.protobuf.Duration.newBuilder().setSeconds(3600))
                .build());
    assertThat(quiet.progress())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getDone()).isEqualTo(117);
              assertThat(p.getTotal()).isEqualTo(117);
            });
    assertThat(quiet.ok().getText()).isEqualTo(harness.process("pdf.text", large).ok().getText());
    // zero means every event, as without the field
    var every =
        harness.process(
            ProcessorHarness.request("pdf.text", large)
                .setProgressInterval(com.google.protobuf.Duration.getDefaultInstance())
                .build());
    assertThat(every.progress()).hasSize(117);
  }

  @Test
  void textOfEachPageIsThatPagesTextInReadingOrder() {
    DocumentText text =
        harness.process("pdf.text", Corpus.read("pdflatex-4-pages.pdf")).ok().getText();
    assertThat(text.getPagesCount()).isEqualTo(4);
    assertThat(text.getPages(0).getText())
        .startsWith(
            "Hello, here is some text without a meaning. This text should show what a printed text\n");
    assertThat(text.getPages(1).getText())
        .startsWith("information. Really? Is there no information?");
    assertThat(text.getPages(3).getText()).startsWith("in of the original language.");
    // pdfTeX puts the page number last on each page
    for (int i = 0; i < 4; i++) {
      assertThat(text.getPages(i).getText().strip()).endsWith(String.valueOf(i + 1));
    }
  }

  @Test
  void sortByPositionIsAnOptionAndUnknownOptionsAreRejected() {
    // drawn bottom line first: content order and reading order differ
    byte[] pdf =
        HostileDocuments.RawPdf.single(
            "/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>",
            ("BT /F1 12 Tf 72 500 Td (Drawn first, lower on the page) Tj ET\n"
                    + "BT /F1 12 Tf 72 700 Td (Drawn second, at the top) Tj ET")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII),
            false);
    String asDrawn = harness.process("pdf.text", pdf).ok().getText().getPages(0).getText();
    String sorted = serviceText(pdf, true).getPages(0).getText();
    assertThat(asDrawn.lines().map(String::strip).filter(l -> !l.isEmpty()).toList())
        .containsExactly("Drawn first, lower on the page", "Drawn second, at the top");
    assertThat(sorted.lines().map(String::strip).filter(l -> !l.isEmpty()).toList())
        .containsExactly("Drawn second, at the top", "Drawn first, lower on the page");
    assertThat(serviceText(pdf, false).getPages(0).getText()).isEqualTo(asDrawn);

    var unknown =
        harness.process(
            ProcessorHarness.request("pdf.text", Corpus.read("minimal-document.pdf"))
                .putOptions("colour", "blue")
                .build());
    assertThat(unknown.error().getStatus().getCode())
        .isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
    assertThat(unknown.error().getStatus().getDescription()).contains("options.colour");
  }

  /**
   * The service's text is PDFBox's own, page for page, on every corpus file: the guard's decoded
   * content (DecodedPage) and the pages read on a lent thread (ParallelPages) change nothing.
   */
  @Test
  void textEqualsPdfTextStripperPageByPageOnTheCorpus() throws Exception {
    for (String file : Corpus.files()) {
      if (file.equals(Corpus.ENCRYPTED)) {
        continue;
      }
      byte[] pdf = Corpus.read(file);
      assertThat(serviceText(pdf, false).getPagesList())
          .as(file)
          .extracting(PageText::getText)
          .containsExactlyElementsOf(pdfBoxPages(pdf, false));
    }
  }

  /**
   * Content the guard decodes once and hands PDFBox (a page of several streams, a shared form, a
   * transparency group) reads exactly as PDFBox reads it itself, sorted or not, and so do the
   * shapes it leaves to PDFBox (a predictor PDFBox ignores on a page, a filter named twice, a cut
   * stream, a filter nobody knows: PDFBox skips that page's content, and so must the guard).
   */
  @Test
  void everyShapeOfContentReadsAsPdfBoxReadsIt() throws Exception {
    byte[] pdf = ContentShapes.pdf();
    for (boolean sort : List.of(false, true)) {
      List<String> expected = pdfBoxPages(pdf, sort);
      assertThat(String.join("", expected)).contains(ContentShapes.DRAWN);
      assertThat(serviceText(pdf, sort).getPagesList())
          .as("sorted %s", sort)
          .extracting(PageText::getText)
          .containsExactlyElementsOf(expected);
    }
  }

  /**
   * The guard keeps decoded content only where PDFBox would parse the very same bytes: a page of
   * several streams, a page of two filters, forms and groups; not a page PDFBox inflates without
   * its predictor, nor a form whose filter PDFBox applies once though it is named twice.
   */
  @Test
  void theGuardKeepsContentOnlyWherePdfBoxWouldReadTheSameBytes() throws Exception {
    try (org.apache.pdfbox.pdmodel.PDDocument doc =
        org.apache.pdfbox.Loader.loadPDF(ContentShapes.pdf())) {
      var guard = new dev.docmesh.processor.pdf.StreamGuard(1 << 20);
      for (int number : List.of(ContentShapes.PAGE_OF_ARRAY, ContentShapes.PAGE_OF_TWO_FILTERS)) {
        var page = doc.getPage(number - ContentShapes.PAGE_OF_ARRAY);
        assertThat(guard.checkPageKeepingContent(page))
            .as("page object %d", number)
            .isEqualTo(page.getContents().readAllBytes());
      }
      var withParms =
          doc.getPage(ContentShapes.PAGE_WITH_DECODE_PARMS - ContentShapes.PAGE_OF_ARRAY);
      assertThat(guard.checkPageKeepingContent(withParms)).isNull();
      for (int number : List.of(ContentShapes.SHARED_FORM, ContentShapes.GROUP)) {
        var form = stream(doc, number);
        assertThat(guard.decodedForm(form))
            .as("form object %d", number)
            .isEqualTo(form.createInputStream().readAllBytes());
      }
      assertThat(guard.decodedForm(stream(doc, ContentShapes.FORM_WITH_REPEATED_FILTER))).isNull();
    }
  }

  private static org.apache.pdfbox.cos.COSStream stream(
      org.apache.pdfbox.pdmodel.PDDocument doc, int number) {
    return (org.apache.pdfbox.cos.COSStream)
        doc.getDocument()
            .getObjectFromPool(new org.apache.pdfbox.cos.COSObjectKey(number, 0))
            .getObject();
  }

  /**
   * Text drawn over itself (fake bold, a shadow a fraction of a point away, a TJ that steps back)
   * is dropped exactly as PDFBox drops it: not past a third of a glyph's width, not under
   * /ActualText, and as PDFBox tracks marked content even when a document nests or unbalances it.
   */
  @Test
  void textDrawnOverItselfIsDroppedExactlyAsPdfBoxDropsIt() throws Exception {
    StringBuilder across = new StringBuilder();
    StringBuilder up = new StringBuilder();
    for (String d : List.of("0", "0.3", "1.5", "2.5", "5", "12")) {
      across.append("BT /F1 12 Tf 72 700 Td " + d + " 0 Td (Wide and thin: WMmw ilij) Tj ET\n");
      up.append("BT /F1 12 Tf 72 600 Td 0 " + d + " Td (Wide and thin: WMmw ilij) Tj ET\n");
    }
    String twice =
        "BT /F1 12 Tf 72 500 Td (Shown twice) Tj ET BT /F1 12 Tf 72.3 500 Td (Shown twice) Tj ET";
    List<String> pages =
        List.of(
            across.toString(),
            up.toString(),
            "BT /F1 12 Tf 72 700 Td [(AAAA) 2780 (AAAA) 1000 (B)] TJ ET",
            "/Span << /ActualText (Replaced) >> BDC " + twice + " EMC " + twice,
            "/Span << /ActualText (Outer) >> BDC /P BMC " + twice + " EMC " + twice + " EMC",
            "EMC EMC " + twice + " /P BMC " + twice);
    int differ = 0;
    for (String content : pages) {
      byte[] pdf =
          HostileDocuments.RawPdf.single(
              "/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>",
              content.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
              false);
      for (boolean sort : List.of(false, true)) {
        String expected = pdfBoxText(pdf, sort, true);
        differ += expected.equals(pdfBoxText(pdf, sort, false)) ? 0 : 1;
        String text = serviceText(pdf, sort).getPages(0).getText();
        assertThat(text).as("%s, sorted %s", content, sort).isEqualTo(expected);
      }
    }
    assertThat(differ).as("pages where PDFBox dropped something").isGreaterThanOrEqualTo(8);
  }

  /** pdf.text's text of {@code pdf} over gRPC, sorted by position or not. */
  private static DocumentText serviceText(byte[] pdf, boolean sort) {
    return harness
        .process(
            ProcessorHarness.request("pdf.text", pdf)
                .putOptions("sort_by_position", Boolean.toString(sort))
                .build())
        .ok()
        .getText();
  }

  /** PDFTextStripper set up as pdf.text sets up its own. */
  private static org.apache.pdfbox.text.PDFTextStripper pdfBoxStripper(
      boolean sort, boolean suppress) throws Exception {
    org.apache.pdfbox.text.PDFTextStripper stripper = new org.apache.pdfbox.text.PDFTextStripper();
    stripper.setLineSeparator("\n");
    stripper.setPageEnd("");
    stripper.setSortByPosition(sort);
    stripper.setSuppressDuplicateOverlappingText(suppress);
    return stripper;
  }

  /** PDFBox's text of each page of {@code pdf}, page by page. */
  private static List<String> pdfBoxPages(byte[] pdf, boolean sort) throws Exception {
    List<String> pages = new java.util.ArrayList<>();
    try (org.apache.pdfbox.pdmodel.PDDocument doc = org.apache.pdfbox.Loader.loadPDF(pdf)) {
      org.apache.pdfbox.text.PDFTextStripper stripper = pdfBoxStripper(sort, true);
      for (int p = 1; p <= doc.getNumberOfPages(); p++) {
        stripper.setStartPage(p);
        stripper.setEndPage(p);
        pages.add(stripper.getText(doc));
      }
    }
    return pages;
  }

  private static String pdfBoxText(byte[] pdf, boolean sort, boolean suppress) throws Exception {
    try (org.apache.pdfbox.pdmodel.PDDocument doc = org.apache.pdfbox.Loader.loadPDF(pdf)) {
      return pdfBoxStripper(sort, suppress).getText(doc);
    }
  }
}
