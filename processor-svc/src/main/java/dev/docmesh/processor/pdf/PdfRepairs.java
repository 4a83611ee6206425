package dev.docmesh.processor.pdf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the file-structure damage that makes PDFBox fall back to rebuilding the cross-reference
 * table by scanning, which PDFBox does silently. One line per problem.
 */
public final class PdfRepairs {
  private static final int TAIL = 2048;
  private static final Pattern STARTXREF = Pattern.compile("startxref\\s+(\\d+)");
  private static final Pattern OBJECT_HEADER = Pattern.compile("\\d+\\s+\\d+\\s+obj");

  private PdfRepairs() {}

  public static List<String> inspect(byte[] bytes) {
    List<String> repairs = new ArrayList<>();
    int header = PdfSniffer.headerOffset(bytes);
    if (header > 0) {
      repairs.add("the %PDF- header is at byte " + header + ", not at the start");
    }
    int tailStart = Math.max(0, bytes.length - TAIL);
    String tail =
        new String(bytes, tailStart, bytes.length - tailStart, StandardCharsets.ISO_8859_1);
    if (!tail.contains("%%EOF")) {
      repairs.add("no %%EOF marker at the end: the file looks truncated");
    }
    Matcher m = STARTXREF.matcher(tail);
    long offset = -1;
    while (m.find()) {
      try {
        offset = Long.parseLong(m.group(1));
      } catch (NumberFormatException e) {
        offset = Long.MAX_VALUE;
      }
    }
    if (offset < 0) {
      repairs.add("no startxref: the cross-reference table was rebuilt by scanning");
    } else if (!xrefAt(bytes, offset) && !(header > 0 && xrefAt(bytes, offset + header))) {
      repairs.add(
          "startxref points to byte "
              + offset
              + ", where no cross-reference section starts: rebuilt by scanning");
    }
    return repairs;
  }

  private static boolean xrefAt(byte[] bytes, long offset) {
    if (offset >= bytes.length) {
      return false;
    }
    int start = (int) offset;
    while (start < bytes.length && Character.isWhitespace(bytes[start])) {
      start++;
    }
    String head =
        new String(bytes, start, Math.min(32, bytes.length - start), StandardCharsets.ISO_8859_1);
    return head.startsWith("xref") || OBJECT_HEADER.matcher(head).lookingAt();
  }
}
