package dev.docmesh.processor.pdf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.processor.ContentShapes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.filter.FilterFactory;
import org.junit.jupiter.api.Test;

/**
 * The guard's one-pass inflation yields exactly PDFBox's bytes (its FlateFilter, as it reads a
 * plain Flate stream) wherever it answers, and hands the rest back: whole, cut short, with junk
 * after the end, without a zlib header, corrupted.
 */
class PlainFlateTest {
  @Test
  void inflatesExactlyAsPdfBoxOrHandsTheStreamBack() throws Exception {
    Random random = new Random(20261130);
    int answered = 0;
    int handedBack = 0;
    int cut = 0;
    for (int n = 0; n < 3000; n++) {
      byte[] plain = new byte[random.nextInt(random.nextBoolean() ? 200 : 200_000)];
      for (int i = 0; i < plain.length; i++) {
        plain[i] = (byte) ("BT /F1 12 Tf (text) Tj ET 0 1 [] <<>>\n".charAt(random.nextInt(38)));
      }
      byte[] raw = ContentShapes.deflate(plain, random.nextInt(10));
      int shape = random.nextInt(6);
      switch (shape) {
        case 1 -> raw = Arrays.copyOf(raw, random.nextInt(raw.length + 1)); // cut short
        case 2 -> { // junk after the end
          byte[] longer = Arrays.copyOf(raw, raw.length + 1 + random.nextInt(50));
          for (int i = raw.length; i < longer.length; i++) {
            longer[i] = (byte) random.nextInt(256);
          }
          raw = longer;
        }
        case 3 -> raw = Arrays.copyOfRange(raw, Math.min(raw.length, 2), raw.length); // no header
        case 4 -> { // corrupted bytes
          for (int k = 1 + random.nextInt(3); k > 0 && raw.length > 0; k--) {
            raw[random.nextInt(raw.length)] ^= (byte) (1 + random.nextInt(255));
          }
        }
        default -> {}
      }
      ByteArrayOutputStream ours = new ByteArrayOutputStream();
      if (StreamGuard.inflatedAsPdfBoxDoes(raw, ours)) {
        answered++;
        cut += shape == 1 ? 1 : 0;
        ByteArrayOutputStream pdfBox = new ByteArrayOutputStream();
        FilterFactory.INSTANCE
            .getFilter(COSName.FLATE_DECODE)
            .decode(new ByteArrayInputStream(raw), pdfBox, new COSDictionary(), 0);
        assertThat(ours.toByteArray())
            .as("case %d, shape %d", n, shape)
            .isEqualTo(pdfBox.toByteArray());
      } else {
        handedBack++;
      }
    }
    assertThat(answered).isGreaterThan(1500);
    assertThat(cut).as("streams cut short, answered").isGreaterThan(100);
    assertThat(handedBack).as("streams handed back to PDFBox's decoder").isGreaterThan(100);
  }
}
