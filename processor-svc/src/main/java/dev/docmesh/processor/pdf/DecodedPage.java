package dev.docmesh.processor.pdf;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import org.apache.pdfbox.io.RandomAccessRead;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDResources;

/**
 * A page whose content PDFBox parses from bytes {@link StreamGuard} already decoded: PDFBox would
 * otherwise inflate the stream a second time, through a non-seekable reader. Everything else is the
 * page's own, its resources too (they hold the document's font cache).
 */
final class DecodedPage extends PDPage {
  private final PDPage page;
  private final byte[] content;

  DecodedPage(PDPage page, byte[] content) {
    super(page.getCOSObject());
    this.page = page;
    this.content = content;
  }

  @Override
  public PDResources getResources() {
    return page.getResources();
  }

  @Override
  public RandomAccessRead getContentsForStreamParsing() {
    return new ByteArrayRead(content);
  }

  @Override
  public RandomAccessRead getContentsForRandomAccess() {
    return new ByteArrayRead(content);
  }

  @Override
  public InputStream getContents() {
    return new ByteArrayInputStream(content);
  }
}
