package dev.docmesh.processor.pdf;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.docmesh.processor.spi.ProcessingFailure;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Only real syntax nests: brackets inside strings, comments, hex strings and stream data do not
 * count.
 */
class NestingScannerTest {
  private static final int LIMIT = 10;

  @Test
  void deepArraysAndDictionariesAreRefused() {
    assertThatThrownBy(() -> file("1 0 obj " + "[".repeat(11) + "]".repeat(11) + " endobj"))
        .isInstanceOfSatisfying(
            ProcessingFailure.class,
            e -> org.assertj.core.api.Assertions.assertThat(e.reason()).isEqualTo("LIMIT_NESTING"));
    assertThatThrownBy(() -> file("<<".repeat(11) + ">>".repeat(11)))
        .isInstanceOf(ProcessingFailure.class);
    assertThatThrownBy(() -> content("BT " + "[".repeat(11) + "]".repeat(11) + " TJ ET"))
        .isInstanceOf(ProcessingFailure.class);
  }

  @Test
  void nestingThatClosesAgainNeverAddsUp() {
    String flat = "[[[[[ ]]]]] ".repeat(1000) + "<< /A << /B [1 2] >> >> ".repeat(1000);
    assertThatCode(() -> file(flat)).doesNotThrowAnyException();
  }

  @Test
  void bracketsThatAreNotSyntaxDoNotCount() {
    String deep = "[".repeat(50);
    assertThatCode(() -> file("(" + deep + ") % " + deep + "\n<5B5B5B5B> <<>>"))
        .doesNotThrowAnyException();
    assertThatCode(() -> file("(nested (parens) and \\( escaped " + deep + ")"))
        .doesNotThrowAnyException();
    assertThatCode(() -> file("4 0 obj << /Length 60 >>\nstream\n" + deep + "\nendstream\nendobj"))
        .doesNotThrowAnyException();
    assertThatCode(() -> content("BI /W 1 /H 1 ID " + deep + " EI Q")).doesNotThrowAnyException();
  }

  @Test
  void streamDataEndsAtEndstreamWhateverTheChunksAreFedIn() {
    // data full of near misses of the marker ("endstrea", "eendstream" overlaps), then real nesting
    String data = "[[[[[[[[[[[[ endstrea e en end [[[[ eendstreamX";
    String pdf = "4 0 obj << /Length 99 >>\nstream\n" + data.replace("eendstreamX", "X");
    String deepAfter = "\nendstream\nendobj 5 0 obj " + "[".repeat(11) + "]".repeat(11);
    byte[] b = (pdf + deepAfter).getBytes(StandardCharsets.ISO_8859_1);
    for (int chunk = 1; chunk <= b.length; chunk++) {
      NestingScanner scanner = NestingScanner.forFile(LIMIT);
      int fed = 0;
      try {
        for (; fed < b.length; fed += chunk) {
          scanner.feed(b, fed, Math.min(chunk, b.length - fed));
        }
        throw new AssertionError("chunks of " + chunk + ": the nesting after endstream was missed");
      } catch (ProcessingFailure expected) {
        // the skipped data did not count, the nesting after it did
        org.assertj.core.api.Assertions.assertThat(fed).isGreaterThan(pdf.length() - chunk);
      }
    }
    // a marker split across chunks ends the data too
    byte[] split = "stream\nxx endst".getBytes(StandardCharsets.ISO_8859_1);
    byte[] rest = "ream [[[[[[[[[[[".getBytes(StandardCharsets.ISO_8859_1);
    NestingScanner scanner = NestingScanner.forFile(LIMIT);
    scanner.feed(split, 0, split.length);
    assertThatThrownBy(() -> scanner.feed(rest, 0, rest.length))
        .isInstanceOf(ProcessingFailure.class);
  }

  /**
   * Generated syntax of known depth, fed in random chunks: refused exactly when its arrays and
   * dictionaries nest deeper than the limit, whatever separates the tokens (white space, control
   * bytes, {@code /}, nothing before a delimiter) and whatever strings, hex strings, comments and
   * stream or inline-image data hold.
   */
  @Test
  void refusesExactlyWhatNestsPastTheLimit() {
    java.util.Random random = new java.util.Random(20261130);
    int refused = 0;
    for (int n = 0; n < 3000; n++) {
      boolean content = random.nextBoolean();
      Generated g = Generated.of(random, content);
      byte[] b = g.text.toString().getBytes(StandardCharsets.ISO_8859_1);
      NestingScanner scanner =
          content ? NestingScanner.forContent(LIMIT) : NestingScanner.forFile(LIMIT);
      boolean threw = false;
      try {
        for (int fed = 0; fed < b.length; ) {
          int chunk = Math.min(b.length - fed, 1 + random.nextInt(random.nextBoolean() ? 4 : 200));
          scanner.feed(b, fed, chunk);
          fed += chunk;
        }
      } catch (ProcessingFailure e) {
        threw = true;
      }
      org.assertj.core.api.Assertions.assertThat(threw)
          .as("depth %d, %s: %s", g.maxDepth, content ? "content" : "file", g.text)
          .isEqualTo(g.maxDepth > LIMIT);
      if (content) {
        org.assertj.core.api.Assertions.assertThat(refusedWhole(b))
            .as("whole, depth %d: %s", g.maxDepth, g.text)
            .isEqualTo(threw);
      }
      refused += threw ? 1 : 0;
    }
    org.assertj.core.api.Assertions.assertThat(refused).isBetween(300, 2700); // both outcomes ran
  }

  /**
   * A content stream scanned whole refuses exactly what it refuses fed in chunks, at the same
   * depth, on bytes drawn mostly from what the scanners look at: brackets, string and comment
   * delimiters, escapes, the inline image operators and the white space around them.
   */
  @Test
  void contentScannedWholeMatchesContentFedInChunks() {
    java.util.Random random = new java.util.Random(20261201);
    String[] pieces = {
      "[", "]", "<", ">", "<<", ">>", "(", ")", "\\", "%", "\n", "\r", " ", "\t", "\0", "ID", "I",
      "D", "EI", "E", "BI", "x", "0", "/", "{"
    };
    int[] outcomes = new int[2];
    for (int n = 0; n < 20000; n++) {
      StringBuilder text = new StringBuilder();
      for (int t = random.nextInt(60); t > 0; t--) {
        text.append(pieces[random.nextInt(pieces.length)]);
      }
      byte[] b = text.toString().getBytes(StandardCharsets.ISO_8859_1);
      String chunked =
          outcome(
              () -> {
                NestingScanner scanner = NestingScanner.forContent(3);
                for (int fed = 0; fed < b.length; ) {
                  int chunk = Math.min(b.length - fed, 1 + random.nextInt(5));
                  scanner.feed(b, fed, chunk);
                  fed += chunk;
                }
              });
      String whole = outcome(() -> NestingScanner.checkContent(b, b.length, 3));
      org.assertj.core.api.Assertions.assertThat(whole).as("%s", text).isEqualTo(chunked);
      outcomes[chunked.isEmpty() ? 0 : 1]++;
    }
    org.assertj.core.api.Assertions.assertThat(Math.min(outcomes[0], outcomes[1]))
        .as("both outcomes ran")
        .isGreaterThan(300);
  }

  /** Empty when the scan passed, else the refusal's message and the depth it stopped at. */
  private static String outcome(Runnable scan) {
    try {
      scan.run();
      return "";
    } catch (ProcessingFailure e) {
      return e.getMessage() + " " + e.metadata();
    }
  }

  private static boolean refusedWhole(byte[] b) {
    try {
      NestingScanner.checkContent(b, b.length, LIMIT);
      return false;
    } catch (ProcessingFailure e) {
      return true;
    }
  }

  /** Random PDF syntax and the deepest its arrays and dictionaries nest. */
  private static final class Generated {
    private static final String[] WORDS = {
      "0", "12", "-3.5", "obj", "endobj", "R", "Tf", "BT", "Td"
    };
    private static final String[] SPACES = {" ", "\n", "\r\n", "\t", "\f", "\0", "  ", "\r"};
    private static final String NOISE = "[]<>()%{}/ 0aZ\\\n";

    final StringBuilder text = new StringBuilder();
    int maxDepth;

    static Generated of(java.util.Random random, boolean content) {
      Generated g = new Generated();
      java.util.ArrayDeque<String> open = new java.util.ArrayDeque<>();
      int tokens = 20 + random.nextInt(120);
      for (int t = 0; t < tokens || !open.isEmpty(); t++) {
        int kind = t < tokens ? random.nextInt(12) : 99;
        String token;
        if (kind <= 2 && open.size() < LIMIT + 4) {
          String o = random.nextBoolean() ? "[" : "<<";
          open.push(o.equals("[") ? "]" : ">>");
          g.maxDepth = Math.max(g.maxDepth, open.size());
          token = o;
        } else if ((kind == 3 || kind == 99) && !open.isEmpty()) {
          token = open.pop();
        } else if (kind == 4) {
          token = "/" + WORDS[random.nextInt(WORDS.length)];
        } else if (kind == 5) {
          token = "(" + noise(random, "()\\") + "(in)" + noise(random, "()\\") + "\\)" + ")";
        } else if (kind == 6) {
          token = "<" + "0123456789abcdef".charAt(random.nextInt(16)) + "4F>";
        } else if (kind == 7) {
          token = "%" + noise(random, "\r\n") + (random.nextBoolean() ? "\n" : "\r");
        } else if (kind == 8) {
          token =
              content
                  ? "ID" + (random.nextBoolean() ? " " : "\n") + noise(random, "E") + " EI"
                  : "stream"
                      + (random.nextBoolean() ? "\r\n" : "\n")
                      + noise(random, "e")
                      + "\nendstream";
        } else {
          token = WORDS[random.nextInt(WORDS.length)];
        }
        boolean delimited = "[]<(/%".indexOf(token.charAt(0)) >= 0;
        if (!delimited || random.nextBoolean()) {
          g.text.append(SPACES[random.nextInt(SPACES.length)]);
        }
        g.text.append(token);
      }
      return g;
    }

    private static String noise(java.util.Random random, String without) {
      StringBuilder b = new StringBuilder();
      for (int i = random.nextInt(30); i > 0; i--) {
        char c = NOISE.charAt(random.nextInt(NOISE.length()));
        if (without.indexOf(c) < 0) {
          b.append(c);
        }
      }
      return b.toString();
    }
  }

  private static void file(String s) {
    byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
    NestingScanner.forFile(LIMIT).feed(b, 0, b.length);
  }

  private static void content(String s) {
    byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
    NestingScanner.forContent(LIMIT).feed(b, 0, b.length);
  }
}
