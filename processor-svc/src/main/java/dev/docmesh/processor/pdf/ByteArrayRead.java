package dev.docmesh.processor.pdf;

import java.io.IOException;
import org.apache.pdfbox.io.RandomAccessRead;
import org.apache.pdfbox.io.RandomAccessReadView;

/**
 * Bytes in memory as PDFBox reads them: a file it parses, a page's decoded content. PDFBox's own
 * {@code RandomAccessReadBuffer} keeps its bytes in chunks, so every {@link #peek} (a read, then a
 * one-byte rewind) divides the position by the chunk size and looks the chunk up again; its parsers
 * peek at almost every byte. Here a read, a peek and a rewind are an index into one array.
 */
final class ByteArrayRead implements RandomAccessRead {
  private final byte[] bytes;
  private final int length;
  private int position;
  private boolean closed;

  ByteArrayRead(byte[] bytes) {
    this.bytes = bytes;
    this.length = bytes.length;
  }

  @Override
  public int read() throws IOException {
    checkOpen();
    return position < length ? bytes[position++] & 0xff : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    checkOpen();
    if (position >= length) {
      return -1;
    }
    int n = Math.min(len, length - position);
    System.arraycopy(bytes, position, b, off, n);
    position += n;
    return n;
  }

  @Override
  public int peek() throws IOException {
    checkOpen();
    return position < length ? bytes[position] & 0xff : -1;
  }

  @Override
  public void rewind(int count) throws IOException {
    seek((long) position - count);
  }

  @Override
  public long getPosition() throws IOException {
    checkOpen();
    return position;
  }

  /** As PDFBox's buffers: a position past the end reads as the end. */
  @Override
  public void seek(long newPosition) throws IOException {
    checkOpen();
    if (newPosition < 0) {
      throw new IOException("Invalid position " + newPosition);
    }
    position = (int) Math.min(newPosition, length);
  }

  @Override
  public long length() throws IOException {
    checkOpen();
    return length;
  }

  @Override
  public boolean isEOF() throws IOException {
    checkOpen();
    return position >= length;
  }

  @Override
  public int available() throws IOException {
    checkOpen();
    return length - position;
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
  }

  @Override
  public RandomAccessReadView createView(long startPosition, long streamLength) throws IOException {
    checkOpen();
    return new RandomAccessReadView(this, startPosition, streamLength);
  }

  private void checkOpen() throws IOException {
    if (closed) {
      throw new IOException("the buffer is closed");
    }
  }
}
