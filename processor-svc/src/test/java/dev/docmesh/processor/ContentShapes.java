package dev.docmesh.processor;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.Deflater;

/**
 * A PDF whose content comes in every shape PDFBox reads differently: a page drawn from an array of
 * streams (Flate, plain, ASCIIHex then Flate), a form shared by two pages that draws a transparency
 * group, one Flate page stream with /DecodeParms, a form whose filter is named twice, a page stream
 * cut short, and one whose filter nobody knows. Objects by number, for tests that look at one of
 * them.
 */
public final class ContentShapes {
  static final int PAGE_OF_ARRAY = 3;
  static final int PAGE_OF_TWO_FILTERS = 4;
  static final int PAGE_WITH_DECODE_PARMS = 5;
  static final int PAGE_CUT_SHORT = 6;
  static final int SHARED_FORM = 12;
  static final int GROUP = 13;
  static final int FORM_WITH_REPEATED_FILTER = 14;

  /**
   * What the text of the document must contain, besides what PDFBox makes of the odd shapes; PDFBox
   * reads a newline between the streams of a page, inside the string that spans them.
   */
  static final List<String> DRAWN =
      List.of("First part", "Second\n part", "In a form", "In a group", "Page two", "Page three");

  private ContentShapes() {}

  static byte[] pdf() {
    String resources =
        "/Resources << /Font << /F1 7 0 R >> /XObject << /Fm1 12 0 R /Fm3 14 0 R >> >>";
    String mediaBox = "/MediaBox [0 0 612 792]";
    List<byte[]> objects = new ArrayList<>();
    objects.add(ascii("<< /Type /Catalog /Pages 2 0 R >>")); // 1
    objects.add(ascii("<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R 6 0 R 17 0 R] /Count 5 >>")); // 2
    objects.add(page(mediaBox, "[8 0 R 9 0 R 10 0 R]", resources)); // 3
    objects.add(page(mediaBox, "11 0 R", resources)); // 4
    objects.add(page(mediaBox, "15 0 R", resources)); // 5
    objects.add(page(mediaBox, "16 0 R", resources)); // 6
    objects.add(ascii("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")); // 7
    objects.add(
        stream("/Filter /FlateDecode", deflate("BT /F1 12 Tf 72 700 Td (First part) Tj ET")));
    objects.add(stream("", ascii("BT /F1 12 Tf 72 680 Td (Second")));
    objects.add(
        stream("/Filter [/ASCIIHexDecode /FlateDecode]", hex(deflate(" part) Tj ET /Fm1 Do"))));
    objects.add(
        stream(
            "/Filter [/ASCIIHexDecode /FlateDecode]",
            hex(deflate("BT /F1 12 Tf 72 700 Td (Page two) Tj ET /Fm1 Do")))); // 11
    objects.add(
        stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 612 792]"
                + " /Resources << /Font << /F1 7 0 R >> /XObject << /Gr 13 0 R >> >>"
                + " /Filter /FlateDecode",
            deflate("BT /F1 10 Tf 72 600 Td (In a form) Tj ET /Gr Do"))); // 12
    objects.add(
        stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Group << /S /Transparency >>"
                + " /Resources << /Font << /F1 7 0 R >> >>",
            ascii("BT /F1 10 Tf 72 580 Td (In a group) Tj ET"))); // 13
    objects.add(
        stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 612 792]"
                + " /Resources << /Font << /F1 7 0 R >> >> /Filter [/FlateDecode /FlateDecode]",
            deflate(deflate("BT /F1 10 Tf 72 560 Td (Deflated twice) Tj ET")))); // 14
    objects.add(
        stream(
            "/Filter /FlateDecode /DecodeParms << /Predictor 1 >>",
            deflate("BT /F1 12 Tf 72 700 Td (Page three) Tj ET /Fm3 Do"))); // 15
    byte[] whole = deflate("BT /F1 12 Tf 72 700 Td (Cut short before the end of this line) Tj ET");
    objects.add(stream("/Filter /FlateDecode", Arrays.copyOf(whole, whole.length - 12))); // 16
    objects.add(page(mediaBox, "18 0 R", resources)); // 17
    objects.add(
        stream("/Filter /NoSuchDecode", ascii("BT /F1 12 Tf 72 700 Td (Unknown filter) Tj ET")));
    return HostileDocuments.RawPdf.write(objects);
  }

  private static byte[] page(String mediaBox, String contents, String resources) {
    return ascii(
        "<< /Type /Page /Parent 2 0 R "
            + mediaBox
            + " /Contents "
            + contents
            + " "
            + resources
            + " >>");
  }

  private static byte[] stream(String entries, byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(ascii("<< /Length " + data.length + " " + entries + " >>\nstream\n"));
    out.writeBytes(data);
    out.writeBytes(ascii("\nendstream"));
    return out.toByteArray();
  }

  private static byte[] deflate(String text) {
    return deflate(ascii(text));
  }

  private static byte[] deflate(byte[] data) {
    return deflate(data, Deflater.DEFAULT_COMPRESSION);
  }

  /** {@code data} in the zlib format a Flate stream holds, at {@code level}. */
  public static byte[] deflate(byte[] data, int level) {
    Deflater deflater = new Deflater(level);
    deflater.setInput(data);
    deflater.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[4096];
    while (!deflater.finished()) {
      out.write(buffer, 0, deflater.deflate(buffer));
    }
    deflater.end();
    return out.toByteArray();
  }

  private static byte[] hex(byte[] data) {
    return ascii(HexFormat.of().formatHex(data) + ">");
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
