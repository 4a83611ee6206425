package dev.docmesh.meshkit.media;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The one media-type rule of the mesh: a type the client declared wins (lowercased, without
 * parameters); else a "%PDF-" header within the first KiB (as PDF readers accept it) or a ".pdf"
 * name is a PDF; else bytes that are not UTF-8 text (or contain NUL) are binary; else ".md" /
 * ".markdown" is Markdown and ".txt" plain text.
 *
 * <p>Two callers see different amounts of the document. The orchestrator labels a stored document
 * from its head ({@link #sniff}) and says {@link #BINARY} when the name does not tell; a processor
 * holds the whole content ({@link #resolve}), so it treats a declared {@link #BINARY} as "unknown"
 * and reads text under any name as plain text.
 */
public final class MediaTypes {
  public static final String PDF = "application/pdf";
  public static final String PLAIN = "text/plain";
  public static final String MARKDOWN = "text/markdown";
  public static final String BINARY = "application/octet-stream";

  /** How much of a document's head {@link #sniff} needs. */
  public static final int SNIFF_BYTES = 1024;

  private static final byte[] PDF_HEADER = {'%', 'P', 'D', 'F', '-'};

  private MediaTypes() {}

  /**
   * The type to record for a document of which {@code head} is (at least) the first {@link
   * #SNIFF_BYTES}.
   */
  public static String sniff(String declared, String filename, byte[] head) {
    return decide(declared, filename, head, false);
  }

  /** The type a reader of the whole {@code content} works with. */
  public static String resolve(String declared, String filename, byte[] content) {
    return decide(declared, filename, content, true);
  }

  private static String decide(String declared, String filename, byte[] bytes, boolean whole) {
    String type = normalize(declared);
    if (!type.isEmpty() && !(whole && type.equals(BINARY))) {
      return type;
    }
    String name = filename == null ? "" : filename.toLowerCase(Locale.ROOT);
    if (looksLikePdf(bytes) || name.endsWith(".pdf")) {
      return PDF;
    }
    if (!isText(bytes, whole)) {
      return BINARY;
    }
    if (name.endsWith(".md") || name.endsWith(".markdown")) {
      return MARKDOWN;
    }
    return whole || name.endsWith(".txt") ? PLAIN : BINARY;
  }

  /**
   * A declared type lowercased and without parameters ("Text/Plain; charset=utf-8" is
   * "text/plain"); "" when none.
   */
  public static String normalize(String declared) {
    if (declared == null) {
      return "";
    }
    String type = declared.toLowerCase(Locale.ROOT);
    int params = type.indexOf(';');
    return (params >= 0 ? type.substring(0, params) : type).trim();
  }

  /** A "%PDF-" header within the first {@link #SNIFF_BYTES}. */
  public static boolean looksLikePdf(byte[] bytes) {
    int last = Math.min(bytes.length, SNIFF_BYTES) - PDF_HEADER.length;
    for (int at = 0; at <= last; at++) {
      if (java.util.Arrays.equals(
          bytes, at, at + PDF_HEADER.length, PDF_HEADER, 0, PDF_HEADER.length)) {
        return true;
      }
    }
    return false;
  }

  /** Valid UTF-8 without NUL characters. */
  public static boolean isUtf8Text(byte[] content) {
    return isText(content, true);
  }

  /**
   * With {@code whole} false, {@code bytes} may end inside a character (a head cut off
   * mid-sequence).
   */
  private static boolean isText(byte[] bytes, boolean whole) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    CharBuffer text = CharBuffer.allocate(bytes.length);
    CoderResult result = decoder.decode(ByteBuffer.wrap(bytes), text, whole);
    if (result.isError() || (whole && decoder.flush(text).isError())) {
      return false;
    }
    text.flip();
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\0') {
        return false;
      }
    }
    return true;
  }
}
