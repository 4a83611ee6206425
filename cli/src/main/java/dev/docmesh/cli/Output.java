package dev.docmesh.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

/** How results reach the user: protobuf JSON for scripts, text for people. */
final class Output {
  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().includingDefaultValueFields().preservingProtoFieldNames();

  private Output() {}

  static String json(MessageOrBuilder message) {
    try {
      return JSON.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One JSON document a line, for streams (`jq` reads them one by one). */
  static String jsonLine(MessageOrBuilder message) {
    try {
      return JsonFormat.printer()
          .omittingInsignificantWhitespace()
          .preservingProtoFieldNames()
          .print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Progress bars only for people at a terminal; plain lines when piped. */
  static boolean interactive() {
    return System.console() != null && System.getenv("CI") == null;
  }

  static void table(PrintWriter out, String[] header, java.util.List<String[]> rows) {
    int[] width = new int[header.length];
    for (int i = 0; i < header.length; i++) {
      width[i] = header[i].length();
    }
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], r[i] == null ? 0 : r[i].length());
      }
    }
    StringBuilder fmt = new StringBuilder();
    for (int i = 0; i < header.length; i++) {
      fmt.append("%-").append(width[i]).append("s").append(i + 1 < header.length ? "  " : "%n");
    }
    out.printf(fmt.toString(), (Object[]) header);
    for (String[] r : rows) {
      out.printf(fmt.toString(), (Object[]) r);
    }
    out.flush();
  }
}
