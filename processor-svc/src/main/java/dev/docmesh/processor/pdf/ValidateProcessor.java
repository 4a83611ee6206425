package dev.docmesh.processor.pdf;

import dev.docmesh.meshkit.media.MediaTypes;
import dev.docmesh.processor.Failures;
import dev.docmesh.processor.spi.DocumentProcessor;
import dev.docmesh.processor.spi.ProcessingContext;
import dev.docmesh.processor.spi.ProcessingFailure;
import dev.docmesh.proto.document.v1.LimitViolation;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.document.v1.ValidationReport;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pdfbox.pdmodel.PDDocument;

/**
 * {@code pdf.validate}: can the rest of a pipeline process this document? It fails with the typed
 * reason when not (encrypted without password, corrupt, over a limit), so a pipeline stops at its
 * first stage; with {@code report_only=true} it reports the same as an invalid ValidationReport
 * instead.
 */
public final class ValidateProcessor implements DocumentProcessor {
  public static final String NAME = "pdf.validate";
  private static final String REPORT_ONLY = "report_only";

  @Override
  public ProcessorInfo info() {
    return PdfProcessorInfo.of(
        NAME,
        "Parses the PDF and reports its version, encryption, page count, repaired damage and limit violations.",
        "validation");
  }

  @Override
  public Set<String> options() {
    return Set.of(REPORT_ONLY);
  }

  @Override
  public StageOutput process(ProcessingContext context) throws Exception {
    byte[] bytes = context.content();
    boolean reportOnly = context.booleanOption(REPORT_ONLY, false);
    List<String> repairs = PdfRepairs.inspect(bytes);
    ValidationReport.Builder report =
        ValidationReport.newBuilder()
            .setMediaType(MediaTypes.PDF)
            .setPdfVersion(PdfSniffer.headerVersion(bytes))
            .setSizeBytes(bytes.length)
            .setRepaired(!repairs.isEmpty())
            .addAllRepairs(repairs);
    try (PDDocument document = context.openPdf()) {
      boolean encrypted = document.isEncrypted();
      report
          .setValid(true)
          .setEncrypted(encrypted)
          .setPasswordOpened(true)
          .setPasswordRequired(encrypted && needsPassword(context))
          .setPageCount(document.getNumberOfPages());
      StreamGuard guard = new StreamGuard(context.maxDecodedStreamBytes());
      for (var page : document.getPages()) {
        context.checkpoint();
        guard.checkPage(page);
      }
      if (document.getNumberOfPages() == 0) {
        report.addWarnings("the document has no pages");
      }
    } catch (ProcessingFailure e) {
      if (!reportOnly) {
        throw e;
      }
      describeFailure(report.setValid(false), e);
    }
    return StageOutput.newBuilder().setValidation(report).build();
  }

  /**
   * Whether the empty user password would not have opened it (only asked when a password was
   * given).
   */
  private static boolean needsPassword(ProcessingContext context) {
    if (context.request().getPassword().isEmpty()) {
      return false;
    }
    try {
      org.apache.pdfbox.Loader.loadPDF(context.content(), "").close();
      return false;
    } catch (java.io.IOException e) {
      return true;
    }
  }

  private static void describeFailure(ValidationReport.Builder report, ProcessingFailure e) {
    String reason = e.reason();
    Map<String, String> meta = e.metadata();
    switch (reason) {
      case Failures.PDF_ENCRYPTED, Failures.PASSWORD_INVALID ->
          report.setEncrypted(true).setPasswordRequired(true).setPasswordOpened(false);
      case Failures.LIMIT_PAGES,
          Failures.LIMIT_MEMORY,
          Failures.LIMIT_NESTING,
          Failures.LIMIT_BYTES ->
          report.addLimitViolations(
              LimitViolation.newBuilder()
                  .setLimit(reason)
                  .setActual(Long.parseLong(meta.getOrDefault("actual", "-1")))
                  .setMaximum(Long.parseLong(meta.getOrDefault("maximum", "-1"))));
      default -> {}
    }
    report.addWarnings(reason + ": " + e.getMessage());
  }
}
