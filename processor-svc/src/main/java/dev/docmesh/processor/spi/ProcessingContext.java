package dev.docmesh.processor.spi;

import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import java.io.IOException;
import java.util.Optional;
import org.apache.pdfbox.pdmodel.PDDocument;

/** What a processor sees of one call. */
public interface ProcessingContext {

  /**
   * The request as the client sent it; for a step of its {@code then}, the step as a call of its
   * own: the step's processor, options and stage, the outputs its {@code after} names as upstream,
   * the call's document and password.
   */
  ProcessRequest request();

  /** The document's bytes (not a copy: do not modify). */
  byte[] content();

  /** The media type the client gave or the service sniffed, e.g. "application/pdf". */
  String mediaType();

  /** An option's value, or {@code defaultValue} when the request does not set it. */
  default String option(String key, String defaultValue) {
    return request().getOptionsOrDefault(key, defaultValue);
  }

  /** A boolean option ("true"/"false"); anything else is rejected as INVALID_ARGUMENT. */
  boolean booleanOption(String key, boolean defaultValue);

  /** The output of the upstream stage run by {@code processor}, when the request carries one. */
  Optional<StageOutput> upstream(String processor);

  /** Reports progress to the client, e.g. {@code progress(7, 40, "page", "page 7 of 40")}. */
  void progress(long done, long total, String unit, String message);

  /**
   * Returns when the call may go on; throws {@link ProcessingStoppedException} once the client
   * cancelled or the call ran out of time.
   */
  void checkpoint();

  /**
   * Opens the content as a PDF within the service's limits (bytes, pages, memory, temp files), with
   * the request's password. Typed failures: PDF_ENCRYPTED, PASSWORD_INVALID, PDF_CORRUPT,
   * LIMIT_PAGES, LIMIT_MEMORY. The caller closes the document.
   */
  PDDocument openPdf() throws IOException;

  /**
   * The most bytes one PDF stream may decode to. Check each page with {@code
   * dev.docmesh.processor.pdf.StreamGuard} before PDFBox parses it: a decompression bomb costs
   * PDFBox time (and, for streams it reads whole, memory) in proportion to its decoded size.
   */
  long maxDecodedStreamBytes();

  /**
   * Lends this call a processing thread that would otherwise sit idle: runs {@code part} on it and
   * returns true, or returns false at once, running nothing, when every thread is busy or other
   * calls wait for one. For a processor that spreads a large document over idle cores; {@code part}
   * should give its thread back (stop taking work) as soon as {@link #othersWaiting()} says so.
   */
  default boolean lendIdleThread(Runnable part) {
    return false;
  }

  /** True while other calls wait for a processing thread: a lent thread is wanted back. */
  default boolean othersWaiting() {
    return false;
  }
}
