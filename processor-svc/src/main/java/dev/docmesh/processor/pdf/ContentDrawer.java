package dev.docmesh.processor.pdf;

import java.io.IOException;
import org.apache.pdfbox.io.RandomAccessRead;

/**
 * Runs decoded content's operators through the engine drawing it, from {@link ContentTokens}
 * instead of PDFBox's own parser.
 *
 * <p>PDFBox makes its content parser in a private method of PDFStreamEngine, from the content
 * stream's {@code getContentsForStreamParsing()}, after it set up the stream's resources, matrix,
 * clip and graphics state and before it runs the first operator; it puts them back after the last.
 * That call is the one place to run the operators from other tokens, in the same state: {@link
 * DecodedPage} and {@link DecodedForm} call {@link #draw} there, and hand PDFBox's parser nothing
 * left to read. PDFBox's loop also switches color operators on for the stream (they are off only in
 * uncolored tiling patterns and Type 3 glyphs, never drawn from here); the text engines that draw
 * this way have none.
 */
@FunctionalInterface
interface ContentDrawer {
  void draw(byte[] content) throws IOException;

  /** Draws {@code content} and returns what is left for PDFBox's parser: nothing. */
  static RandomAccessRead drawn(ContentDrawer drawer, byte[] content) throws IOException {
    drawer.draw(content);
    return new ByteArrayRead(new byte[0]);
  }
}
