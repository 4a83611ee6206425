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

  private static void file(String s) {
    byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
    NestingScanner.forFile(LIMIT).feed(b, 0, b.length);
  }

  private static void content(String s) {
    byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
    NestingScanner.forContent(LIMIT).feed(b, 0, b.length);
  }
}
