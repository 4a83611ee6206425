package dev.docmesh.meshkit.media;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MediaTypesTest {
  private static final byte[] TEXT = "hello".getBytes(StandardCharsets.UTF_8);
  private static final byte[] BIN = {(byte) 0x89, 'P', 'N', 'G', 0, 1};

  @Test
  void aDeclaredTypeWinsLowercasedWithoutParameters() {
    assertThat(MediaTypes.sniff("Text/CSV; charset=utf-8", "a.pdf", TEXT)).isEqualTo("text/csv");
    assertThat(MediaTypes.resolve(" application/pdf ", "", TEXT)).isEqualTo(MediaTypes.PDF);
  }

  @Test
  void aPdfHeaderWithinTheFirstKibOrAPdfNameIsAPdf() {
    byte[] late = ("\n".repeat(100) + "%PDF-1.7").getBytes(StandardCharsets.US_ASCII);
    assertThat(MediaTypes.sniff("", "", late)).isEqualTo(MediaTypes.PDF);
    assertThat(MediaTypes.resolve("", "x.bin", late)).isEqualTo(MediaTypes.PDF);
    byte[] tooLate =
        (" ".repeat(MediaTypes.SNIFF_BYTES) + "%PDF-1.7").getBytes(StandardCharsets.US_ASCII);
    assertThat(MediaTypes.sniff("", "", tooLate)).isEqualTo(MediaTypes.BINARY);
    assertThat(MediaTypes.sniff("", "Scan.PDF", BIN)).isEqualTo(MediaTypes.PDF);
  }

  @Test
  void textNamesCountOnlyForText() {
    assertThat(MediaTypes.sniff("", "a.md", TEXT)).isEqualTo(MediaTypes.MARKDOWN);
    assertThat(MediaTypes.sniff("", "a.markdown", TEXT)).isEqualTo(MediaTypes.MARKDOWN);
    assertThat(MediaTypes.sniff("", "a.txt", TEXT)).isEqualTo(MediaTypes.PLAIN);
    assertThat(MediaTypes.sniff("", "a.txt", BIN)).isEqualTo(MediaTypes.BINARY);
    assertThat(MediaTypes.resolve("", "a.md", BIN)).isEqualTo(MediaTypes.BINARY);
  }

  @Test
  void onlyAReaderOfTheWholeContentCallsUnnamedTextPlain() {
    assertThat(MediaTypes.sniff("", "", TEXT)).isEqualTo(MediaTypes.BINARY);
    assertThat(MediaTypes.resolve("", "", TEXT)).isEqualTo(MediaTypes.PLAIN);
    assertThat(MediaTypes.resolve(MediaTypes.BINARY, "", TEXT)).isEqualTo(MediaTypes.PLAIN);
    assertThat(MediaTypes.sniff(MediaTypes.BINARY, "a.txt", TEXT)).isEqualTo(MediaTypes.BINARY);
  }

  @Test
  void aHeadMayEndInsideACharacterButWholeContentMayNot() {
    byte[] cut = {'a', (byte) 0xC3};
    assertThat(MediaTypes.sniff("", "a.txt", cut)).isEqualTo(MediaTypes.PLAIN);
    assertThat(MediaTypes.isUtf8Text(cut)).isFalse();
    assertThat(MediaTypes.isUtf8Text(new byte[] {'a', (byte) 0xC3, '(', 'b'})).isFalse();
    assertThat(MediaTypes.isUtf8Text(new byte[] {'a', 0, 'b'})).isFalse();
    assertThat(MediaTypes.isUtf8Text("ünïcødé".getBytes(StandardCharsets.UTF_8))).isTrue();
  }
}
