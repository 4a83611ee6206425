package dev.docmesh.processor.pdf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.apache.pdfbox.io.RandomAccessRead;
import org.apache.pdfbox.io.RandomAccessReadBuffer;
import org.junit.jupiter.api.Test;

/** Reads exactly as PDFBox's own buffer does, operation for operation. */
class ByteArrayReadTest {
  @Test
  void everyOperationAnswersAsPdfBoxsBuffer() throws IOException {
    Random random = new Random(42);
    for (int length : new int[] {0, 1, 7, 4096, 10_000}) {
      byte[] bytes = new byte[length];
      random.nextBytes(bytes);
      try (RandomAccessRead ours = new ByteArrayRead(bytes);
          RandomAccessRead theirs = new RandomAccessReadBuffer(bytes)) {
        for (int step = 0; step < 5_000; step++) {
          String op = step + " of length " + length;
          switch (random.nextInt(9)) {
            case 0 -> assertThat(ours.read()).as(op).isEqualTo(theirs.read());
            case 1 -> assertThat(ours.peek()).as(op).isEqualTo(theirs.peek());
            case 2 -> {
              int n = random.nextInt(300);
              byte[] a = new byte[n + 3];
              byte[] b = new byte[n + 3];
              assertThat(ours.read(a, 3, n)).as(op).isEqualTo(theirs.read(b, 3, n));
              assertThat(a).as(op).isEqualTo(b);
            }
            case 3 -> {
              int back = (int) Math.min(theirs.getPosition(), random.nextInt(20));
              ours.rewind(back);
              theirs.rewind(back);
            }
            case 4 -> {
              long to = random.nextInt(length + 50); // past the end too
              ours.seek(to);
              theirs.seek(to);
            }
            case 5 -> assertThat(ours.isEOF()).as(op).isEqualTo(theirs.isEOF());
            case 6 -> assertThat(ours.available()).as(op).isEqualTo(theirs.available());
            case 7 -> {
              int n = random.nextInt(50);
              ours.skip(n);
              theirs.skip(n);
            }
            default -> assertThat(ours.length()).as(op).isEqualTo(theirs.length());
          }
          assertThat(ours.getPosition()).as(op).isEqualTo(theirs.getPosition());
        }
      }
    }
  }

  @Test
  void aViewReadsItsSlice() throws IOException {
    byte[] bytes = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    try (ByteArrayRead read = new ByteArrayRead(bytes)) {
      read.seek(2);
      RandomAccessRead view = read.createView(10, 4);
      byte[] slice = new byte[4];
      assertThat(view.read(slice, 0, 4)).isEqualTo(4);
      assertThat(slice).isEqualTo(Arrays.copyOfRange(bytes, 10, 14));
      assertThat(view.read()).isEqualTo(-1);
    }
  }

  @Test
  void aClosedReaderRefusesToRead() {
    ByteArrayRead read = new ByteArrayRead(new byte[] {1, 2, 3});
    read.close();
    assertThat(read.isClosed()).isTrue();
    assertThatThrownBy(read::read).isInstanceOf(IOException.class);
    assertThatThrownBy(read::peek).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> read.seek(1)).isInstanceOf(IOException.class);
  }

  @Test
  void aNegativePositionIsRefused() {
    ByteArrayRead read = new ByteArrayRead(new byte[] {1, 2, 3});
    assertThatThrownBy(() -> read.seek(-1)).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> read.rewind(1)).isInstanceOf(IOException.class);
  }
}
