package dev.docmesh.processor;

import dev.docmesh.processor.pdf.PdfSniffer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** The media type of a request: as given by the client, else sniffed from content and file name. */
public final class MediaTypes {
  public static final String PDF = "application/pdf";
  public static final String PLAIN = "text/plain";
  public static final String MARKDOWN = "text/markdown";
  public static final String BINARY = "application/octet-stream";

  private MediaTypes() {}

  public static String resolve(String declared, String filename, byte[] content) {
    if (declared != null && !declared.isBlank()) {
      String type = declared.toLowerCase(Locale.ROOT);
      int params = type.indexOf(';');
      return (params >= 0 ? type.substring(0, params) : type).trim();
    }
    if (PdfSniffer.looksLikePdf(content)) {
      return PDF;
    }
    String name = filename == null ? "" : filename.toLowerCase(Locale.ROOT);
    if (!isUtf8Text(content)) {
      return BINARY;
    }
    return name.endsWith(".md") || name.endsWith(".markdown") ? MARKDOWN : PLAIN;
  }

  /** Valid UTF-8 without NUL characters. */
  public static boolean isUtf8Text(byte[] content) {
    try {
      String text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(content))
              .toString();
      return text.indexOf('\0') < 0;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}
