package dev.docmesh.processor.pdf;

import java.nio.charset.StandardCharsets;

/** Recognises PDF content the way readers do: a "%PDF-" header within the first KiB. */
public final class PdfSniffer {
  private static final byte[] HEADER = "%PDF-".getBytes(StandardCharsets.US_ASCII);
  private static final int WINDOW = 1024;

  private PdfSniffer() {}

  public static boolean looksLikePdf(byte[] bytes) {
    return headerOffset(bytes) >= 0;
  }

  /** The header's version, e.g. "1.7", or "" when there is no readable header. */
  public static String headerVersion(byte[] bytes) {
    int at = headerOffset(bytes);
    if (at < 0) {
      return "";
    }
    StringBuilder version = new StringBuilder();
    for (int i = at + HEADER.length; i < bytes.length && version.length() < 8; i++) {
      char c = (char) bytes[i];
      if (!Character.isDigit(c) && c != '.') {
        break;
      }
      version.append(c);
    }
    return version.toString();
  }

  /** Offset of "%PDF-" within the first KiB, or -1. */
  public static int headerOffset(byte[] bytes) {
    int end = Math.min(bytes.length, WINDOW) - HEADER.length;
    outer:
    for (int i = 0; i <= end; i++) {
      for (int j = 0; j < HEADER.length; j++) {
        if (bytes[i + j] != HEADER[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
