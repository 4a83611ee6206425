package dev.docmesh.processor.pdf;

import dev.docmesh.processor.Failures;

/**
 * Measures how deeply arrays and dictionaries nest in PDF syntax, byte by byte, without parsing.
 * PDFBox gives up on deep nesting by logging and dropping the object, which would turn a hostile
 * document into a silently wrong result; this turns it into LIMIT_NESTING. Strings, comments and
 * stream data (file syntax) or inline image data (content syntax) are skipped, so their bytes do
 * not count.
 */
final class NestingScanner {
  /** Deeper than any real document nests (real ones stay under ~20). */
  static final int LIMIT = 256;

  private enum Mode {
    NORMAL,
    STRING,
    HEX,
    COMMENT,
    SKIP
  }

  private static final boolean[] REGULAR = new boolean[256];

  /** Ends a word and nothing else: white space, control bytes, and the delimiters {@code / { }}. */
  private static final boolean[] SEPARATOR = new boolean[256];

  static {
    for (int c = 0; c < 256; c++) {
      REGULAR[c] = c > ' ' && "()<>[]{}/%".indexOf(c) < 0;
      SEPARATOR[c] = c <= ' ' || "/{}".indexOf(c) >= 0;
    }
  }

  private static final byte[] END_STREAM =
      "endstream".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] END_INLINE =
      "EI".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private final boolean content;
  private final int limit;
  private Mode mode = Mode.NORMAL;
  private int depth;
  private int parens;
  private boolean escaped;
  private boolean pendingLt;
  private boolean pendingGt;
  private final char[] word = new char[8];
  private int wordLength;
  private byte[] skipUntil;
  private int matched;

  private NestingScanner(boolean content, int limit) {
    this.content = content;
    this.limit = limit;
  }

  /** For a whole PDF file: stream data is skipped. */
  static NestingScanner forFile(int limit) {
    return new NestingScanner(false, limit);
  }

  /** For decoded content streams: inline image data is skipped. */
  static NestingScanner forContent(int limit) {
    return new NestingScanner(true, limit);
  }

  /** What {@link #checkContent} stops at: the bytes that open, close or hide nesting. */
  private static final boolean[] CONTENT_SPECIAL = new boolean[256];

  static {
    for (char c : "[]<>(%I".toCharArray()) {
      CONTENT_SPECIAL[c] = true;
    }
  }

  /**
   * As {@code forContent(limit).feed(content, 0, length)}, for a content stream decoded whole: one
   * pass that stops only at the bytes that matter (most of a content stream is operators, numbers
   * and names), where {@link #feed} tracks every word for a content stream that arrives in chunks.
   */
  static void checkContent(byte[] b, int length, int limit) {
    int depth = 0;
    int wordStart = 0; // after inline image data, a word starts whatever the byte before it
    int i = 0;
    while (i < length) {
      int c = b[i] & 0xff;
      if (!CONTENT_SPECIAL[c]) {
        i++;
        continue;
      }
      switch (c) {
        case '[' -> {
          depth = deeper(depth, limit);
          i++;
        }
        case ']' -> {
          depth = Math.max(0, depth - 1);
          i++;
        }
        case '<' -> {
          if (i + 1 >= length) {
            return;
          }
          int next = b[i + 1];
          if (next == '<') {
            depth = deeper(depth, limit);
            i += 2;
          } else if (next == '>') {
            i += 2;
          } else {
            i = after(b, i + 2, length, (byte) '>'); // a hex string
          }
        }
        case '>' -> {
          if (i + 1 < length && b[i + 1] == '>') {
            depth = Math.max(0, depth - 1);
            i += 2;
          } else {
            i++;
          }
        }
        case '(' -> i = afterString(b, i + 1, length);
        case '%' -> i = afterLineEnd(b, i + 1, length);
        default -> { // 'I': the inline image operator ID, a word of its own before white space
          if ((i == wordStart || !REGULAR[b[i - 1] & 0xff])
              && i + 2 < length
              && b[i + 1] == 'D'
              && (b[i + 2] == ' ' || b[i + 2] == '\n' || b[i + 2] == '\r')) {
            i = afterEndInline(b, i + 3, length);
            wordStart = i;
          } else {
            i++;
          }
        }
      }
    }
  }

  private static int deeper(int depth, int limit) {
    if (depth + 1 > limit) {
      throw tooDeep(depth + 1, limit);
    }
    return depth + 1;
  }

  private static int after(byte[] b, int i, int length, byte end) {
    while (i < length && b[i] != end) {
      i++;
    }
    return i + 1;
  }

  private static int afterString(byte[] b, int i, int length) {
    int parens = 1;
    while (i < length) {
      byte c = b[i++];
      if (c == '\\') {
        i++; // the escaped byte, whatever it is
      } else if (c == '(') {
        parens++;
      } else if (c == ')' && --parens == 0) {
        return i;
      }
    }
    return length;
  }

  private static int afterLineEnd(byte[] b, int i, int length) {
    while (i < length && b[i] != '\n' && b[i] != '\r') {
      i++;
    }
    return i + 1;
  }

  private static int afterEndInline(byte[] b, int i, int length) {
    for (; i + 1 < length; i++) {
      if (b[i] == 'E' && b[i + 1] == 'I') {
        return i + 2;
      }
    }
    return length;
  }

  /** Throws LIMIT_NESTING as soon as the nesting passes the limit. */
  void feed(byte[] bytes, int offset, int length) {
    int end = offset + length;
    int i = offset;
    while (i < end) {
      if (mode == Mode.SKIP) {
        // stream data is most of a file's bytes: look for the end marker's first byte in a tight
        // loop
        i = skip(bytes, i, end);
      } else if (mode == Mode.NORMAL && !pendingLt && !pendingGt) {
        i = words(bytes, i, end);
      } else {
        step(bytes[i++] & 0xff);
      }
    }
  }

  /**
   * The bytes of words and what separates them, from {@code i} in NORMAL mode with nothing pending:
   * most of a content stream (operators, numbers, names, spaces). Returns the index after the last
   * byte it took: at a delimiter that opens or closes something, which {@link #step} takes, after a
   * word that switched to skipping, or at {@code end}. Same outcome as {@link #step} byte by byte.
   */
  private int words(byte[] bytes, int i, int end) {
    while (i < end) {
      int c = bytes[i] & 0xff;
      if (REGULAR[c]) {
        if (wordLength < word.length) {
          word[wordLength] = (char) c;
        }
        wordLength++;
      } else if (SEPARATOR[c]) {
        if (wordLength > 0) {
          endWord(c);
          if (mode != Mode.NORMAL) {
            return i + 1;
          }
        }
      } else {
        step(c);
        return i + 1;
      }
      i++;
    }
    return end;
  }

  /**
   * Skipped data from {@code i} up to {@code end}: the index after the end marker (mode back to
   * NORMAL), or {@code end}. Same matching as a byte at a time (a partial match carries over
   * calls).
   */
  private int skip(byte[] bytes, int i, int end) {
    byte[] until = skipUntil;
    byte first = until[0];
    while (i < end) {
      if (matched == 0) {
        while (i < end && bytes[i] != first) {
          i++;
        }
        if (i == end) {
          return end;
        }
        matched = 1;
      } else {
        byte c = bytes[i];
        matched = c == until[matched] ? matched + 1 : (c == first ? 1 : 0);
      }
      i++;
      if (matched == until.length) {
        mode = Mode.NORMAL;
        matched = 0;
        return i;
      }
    }
    return end;
  }

  private void step(int c) {
    switch (mode) {
      case STRING -> {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '(') {
          parens++;
        } else if (c == ')' && --parens == 0) {
          mode = Mode.NORMAL;
        }
      }
      case HEX -> {
        if (c == '>') {
          mode = Mode.NORMAL;
        }
      }
      case COMMENT -> {
        if (c == '\n' || c == '\r') {
          mode = Mode.NORMAL;
        }
      }
      case SKIP -> {
        matched = c == skipUntil[matched] ? matched + 1 : (c == skipUntil[0] ? 1 : 0);
        if (matched == skipUntil.length) {
          mode = Mode.NORMAL;
          matched = 0;
        }
      }
      case NORMAL -> normal(c);
    }
  }

  private void normal(int c) {
    if (pendingLt) {
      pendingLt = false;
      if (c == '<') {
        deeper();
      } else if (c != '>') {
        mode = Mode.HEX; // a single "<" opened a hex string
      }
      return;
    }
    if (pendingGt) {
      pendingGt = false;
      if (c == '>') {
        depth = Math.max(0, depth - 1);
        return;
      }
    }
    if (REGULAR[c]) {
      if (wordLength < word.length) {
        word[wordLength] = (char) c;
      }
      wordLength++;
      return;
    }
    endWord(c);
    switch (c) {
      case '(' -> {
        mode = Mode.STRING;
        parens = 1;
      }
      case '%' -> mode = Mode.COMMENT;
      case '[' -> deeper();
      case ']' -> depth = Math.max(0, depth - 1);
      case '<' -> pendingLt = true;
      case '>' -> pendingGt = true;
      default -> {}
    }
  }

  private void endWord(int delimiter) {
    int length = wordLength;
    wordLength = 0;
    if (!content && length == 6 && is("stream")) {
      skip(END_STREAM);
    } else if (content
        && length == 2
        && is("ID")
        && (delimiter == ' ' || delimiter == '\n' || delimiter == '\r')) {
      skip(END_INLINE);
    }
  }

  private boolean is(String keyword) {
    for (int i = 0; i < keyword.length(); i++) {
      if (word[i] != keyword.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private void skip(byte[] until) {
    mode = Mode.SKIP;
    skipUntil = until;
    matched = 0;
  }

  private void deeper() {
    if (++depth > limit) {
      throw tooDeep(depth, limit);
    }
  }

  private static dev.docmesh.processor.spi.ProcessingFailure tooDeep(int depth, int limit) {
    return Failures.limit(
        Failures.LIMIT_NESTING,
        "arrays or dictionaries nest deeper than " + limit + " levels",
        depth,
        limit);
  }
}
