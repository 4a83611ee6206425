package dev.docmesh.processor.pdf;

import dev.docmesh.processor.Failures;
import dev.docmesh.processor.ProcessorConfig;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.io.MemoryUsageSetting;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;

/**
 * Opens PDFs within the configured limits: PDFBox buffers of one document live on the heap up to a
 * cap, then in temp files in one directory up to a second cap, so a hostile document costs at most
 * {@code main + temp} bytes per processing thread.
 */
public final class PdfOpener {
  private final ProcessorConfig config;
  private final File tempDir;

  public PdfOpener(ProcessorConfig config) {
    this.config = config;
    try {
      this.tempDir = Files.createDirectories(config.tempDir()).toFile();
    } catch (IOException e) {
      throw new IllegalStateException("cannot create PDF temp directory " + config.tempDir(), e);
    }
  }

  /**
   * Opens {@code bytes} with {@code password} ("" tries the empty user password). {@code
   * nestingScanned}: these very bytes already passed the nesting scan of an earlier open (another
   * step of the call, a lent thread), which is then not repeated.
   */
  public PDDocument open(byte[] bytes, String password, boolean nestingScanned) throws IOException {
    if (!PdfSniffer.looksLikePdf(bytes)) {
      throw Failures.notAPdf("the content does not start with a %PDF- header");
    }
    if (!nestingScanned) {
      // PDFBox drops objects it finds nested too deeply (logging an error): refuse them instead.
      NestingScanner.forFile(NestingScanner.LIMIT).feed(bytes, 0, bytes.length);
    }
    MemoryUsageSetting memory =
        MemoryUsageSetting.setupMixed(
                config.pdfMainMemoryBytes(), config.pdfMainMemoryBytes() + config.pdfTempBytes())
            .setTempDir(tempDir);
    PDDocument document;
    try {
      document = Loader.loadPDF(new ByteArrayRead(bytes), password, null, null, memory.streamCache);
    } catch (InvalidPasswordException e) {
      throw password.isEmpty() ? Failures.encrypted() : Failures.passwordInvalid();
    } catch (IOException e) {
      throw PdfExceptions.translate(e);
    }
    int pages = document.getNumberOfPages();
    if (pages > config.maxPages()) {
      document.close();
      throw Failures.limit(
          Failures.LIMIT_PAGES,
          "the PDF has " + pages + " pages; this processor allows " + config.maxPages(),
          pages,
          config.maxPages());
    }
    return document;
  }
}
