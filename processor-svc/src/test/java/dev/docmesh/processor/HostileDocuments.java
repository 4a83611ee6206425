package dev.docmesh.processor;

import dev.docmesh.docgen.DocumentGenerator;
import dev.docmesh.docgen.DocumentSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;

/** Hostile documents, made in the test so every case is reproducible. */
final class HostileDocuments {
  private HostileDocuments() {}

  static byte[] generated(int pages) {
    return new DocumentGenerator().generate(DocumentSpec.of(pages)).pdf();
  }

  static byte[] truncated(byte[] pdf, int keep) {
    return Arrays.copyOf(pdf, keep);
  }

  /** The cross-reference table overwritten with junk and startxref pointing nowhere. */
  static byte[] corruptXref(byte[] pdf) {
    String s = new String(pdf, StandardCharsets.ISO_8859_1);
    int xref = s.lastIndexOf("\nxref");
    int trailer = s.indexOf("trailer", xref);
    char[] chars = s.toCharArray();
    for (int i = xref + 1; i < trailer; i++) {
      if (chars[i] != '\n') {
        chars[i] = 'Z';
      }
    }
    String broken = new String(chars).replaceFirst("startxref\\s+\\d+", "startxref\n99999999");
    return broken.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** No object can be found in it any more: nothing to repair from. */
  static byte[] withoutObjects(byte[] pdf) {
    String s =
        new String(pdf, StandardCharsets.ISO_8859_1)
            .replace(" obj", " jbo")
            .replace("xref", "fxre")
            .replace("trailer", "reliart");
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  static byte[] encrypted(byte[] pdf, String userPassword) {
    try (PDDocument doc = Loader.loadPDF(pdf)) {
      StandardProtectionPolicy policy =
          new StandardProtectionPolicy("owner-secret", userPassword, new AccessPermission());
      policy.setEncryptionKeyLength(128);
      doc.protect(policy);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      doc.save(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A page whose resources hold arrays nested {@code depth} deep. */
  static byte[] deeplyNestedObject(int depth) {
    String nested = "[".repeat(depth) + "]".repeat(depth);
    return RawPdf.single(
        "/Resources << /Deep " + nested + " >>",
        "BT /F1 12 Tf (deep) Tj ET".getBytes(StandardCharsets.US_ASCII),
        false);
  }

  /** A content stream whose operands nest {@code depth} deep. */
  static byte[] deeplyNestedContent(int depth) {
    String content = "BT " + "[".repeat(depth) + "]".repeat(depth) + " TJ ET";
    return RawPdf.single("", content.getBytes(StandardCharsets.US_ASCII), false);
  }

  /** A page content stream that inflates to {@code decodedBytes} bytes of spaces. */
  static byte[] decompressionBomb(long decodedBytes) {
    return RawPdf.single("", deflatedSpaces(decodedBytes), true);
  }

  private static byte[] deflatedSpaces(long n) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
    try (DeflaterOutputStream z = new DeflaterOutputStream(out, deflater, 1 << 16)) {
      byte[] block = new byte[1 << 20];
      Arrays.fill(block, (byte) ' ');
      for (long left = n; left > 0; left -= block.length) {
        z.write(block, 0, (int) Math.min(block.length, left));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deflater.end();
    }
    return out.toByteArray();
  }

  /** Writes small PDFs object by object with a correct cross-reference table. */
  static final class RawPdf {
    private RawPdf() {}

    static byte[] single(String extraPageEntries, byte[] content, boolean flate) {
      List<byte[]> objects = new ArrayList<>();
      objects.add(ascii("<< /Type /Catalog /Pages 2 0 R >>"));
      objects.add(ascii("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"));
      objects.add(
          ascii(
              "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                  + extraPageEntries
                  + " >>"));
      ByteArrayOutputStream stream = new ByteArrayOutputStream();
      stream.writeBytes(
          ascii(
              "<< /Length "
                  + content.length
                  + (flate ? " /Filter /FlateDecode" : "")
                  + " >>\nstream\n"));
      stream.writeBytes(content);
      stream.writeBytes(ascii("\nendstream"));
      objects.add(stream.toByteArray());
      return write(objects);
    }

    static byte[] write(List<byte[]> objects) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes(ascii("%PDF-1.7\n%\u00e2\u00e3\n"));
      long[] offsets = new long[objects.size()];
      for (int i = 0; i < objects.size(); i++) {
        offsets[i] = out.size();
        out.writeBytes(ascii((i + 1) + " 0 obj\n"));
        out.writeBytes(objects.get(i));
        out.writeBytes(ascii("\nendobj\n"));
      }
      long xref = out.size();
      StringBuilder table =
          new StringBuilder("xref\n0 " + (objects.size() + 1) + "\n0000000000 65535 f \n");
      for (long offset : offsets) {
        table.append(String.format("%010d 00000 n \n", offset));
      }
      table
          .append("trailer\n<< /Size ")
          .append(objects.size() + 1)
          .append(" /Root 1 0 R >>\nstartxref\n")
          .append(xref)
          .append("\n%%EOF\n");
      out.writeBytes(ascii(table.toString()));
      return out.toByteArray();
    }

    private static byte[] ascii(String s) {
      return s.getBytes(StandardCharsets.ISO_8859_1);
    }
  }
}
