package dev.docmesh.worker.e2e;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;

/** Documents for end-to-end runs: the shared corpus with its ground truth, and long PDFs that keep a processor busy. */
final class Documents {
  private Documents() {}

  static Path corpus() {
    return Path.of(System.getProperty("docmesh.corpus", "/work/shared/corpus")).resolve("pdf");
  }

  static byte[] corpusFile(String name) {
    try {
      return Files.readAllBytes(corpus().resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The expected.json entry of one corpus file. */
  static Struct expected(String file) {
    try {
      Struct.Builder root = Struct.newBuilder();
      JsonFormat.parser().merge(Files.readString(corpus().resolve("expected.json")), root);
      List<Value> files = root.getFieldsOrThrow("files").getListValue().getValuesList();
      return files.stream()
          .map(Value::getStructValue)
          .filter(s -> s.getFieldsOrThrow("file").getStringValue().equals(file))
          .findFirst()
          .orElseThrow();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A plain PDF of {@code pages} pages of text: seconds of pdf.text work, so a test can act mid-task. */
  static synchronized byte[] longPdf(int pages) {
    return LONG.computeIfAbsent(pages, Documents::generate);
  }

  private static final java.util.Map<Integer, byte[]> LONG = new java.util.HashMap<>();

  private static byte[] generate(int pages) {
    try (PDDocument doc = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      PDType1Font font = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
      for (int p = 1; p <= pages; p++) {
        PDPage page = new PDPage();
        doc.addPage(page);
        try (PDPageContentStream text = new PDPageContentStream(doc, page)) {
          text.beginText();
          text.setFont(font, 10);
          text.setLeading(12);
          text.newLineAtOffset(50, 740);
          for (int line = 1; line <= 50; line++) {
            text.showText("Page " + p + " line " + line + ": the quick brown fox jumps over the lazy dog, again and again.");
            text.newLine();
          }
          text.endText();
        }
      }
      doc.save(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
