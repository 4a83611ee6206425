package dev.docmesh.processor.pdf;

import dev.docmesh.processor.Failures;
import dev.docmesh.processor.spi.ProcessingFailure;
import java.io.IOException;

/** Turns what PDFBox throws at damaged or hostile input into the service's typed failures. */
public final class PdfExceptions {
  private PdfExceptions() {}

  public static ProcessingFailure translate(IOException e) {
    String message = String.valueOf(e.getMessage());
    // PDFBox's stream cache reports its cap this way (ScratchFile / RandomAccessStreamCache).
    if (message.contains("Maximum allowed") && message.contains("memory")) {
      return Failures.limit(
          Failures.LIMIT_MEMORY, "the PDF needs more memory than allowed: " + message, -1, -1);
    }
    return Failures.corrupt("the PDF cannot be read: " + message);
  }

  /** True when the exception came out of PDFBox itself (its way of rejecting malformed input). */
  public static boolean thrownByPdfBox(Throwable t) {
    // The first frame outside the JDK says whose code failed (an NPE inside a JDK collection
    // called by PDFBox is PDFBox's).
    for (StackTraceElement frame : t.getStackTrace()) {
      String origin = frame.getClassName();
      if (origin.startsWith("java.") || origin.startsWith("jdk.") || origin.startsWith("sun.")) {
        continue;
      }
      return origin.startsWith("org.apache.pdfbox.") || origin.startsWith("org.apache.fontbox.");
    }
    return false;
  }
}
