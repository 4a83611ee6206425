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

  private static void file(String s) {
    byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
    NestingScanner.forFile(LIMIT).feed(b, 0, b.length);
  }

  private static void content(String s) {
    byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
    NestingScanner.forContent(LIMIT).feed(b, 0, b.length);
  }
}
