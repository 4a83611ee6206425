package dev.docmesh.orchestrator.grpc;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Guesses a media type when the client gave none: the PDF magic, then the file name. */
final class MediaTypes {
  private MediaTypes() {}

  static String sniff(byte[] head, String filename) {
    if (head.length >= 5 && new String(head, 0, 5, StandardCharsets.US_ASCII).equals("%PDF-")) {
      return "application/pdf";
    }
    String name = filename.toLowerCase(Locale.ROOT);
    if (name.endsWith(".pdf")) {
      return "application/pdf";
    }
    if (name.endsWith(".md") || name.endsWith(".markdown")) {
      return "text/markdown";
    }
    if (name.endsWith(".txt")) {
      return "text/plain";
    }
    return "application/octet-stream";
  }
}
