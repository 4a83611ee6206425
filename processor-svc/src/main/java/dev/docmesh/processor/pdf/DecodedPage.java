package dev.docmesh.processor.pdf;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.pdfbox.io.RandomAccessRead;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDResources;

/**
 * A page drawn from bytes {@link StreamGuard} already decoded (PDFBox would otherwise inflate the
 * stream a second time, through a non-seekable reader), its operators read by {@link ContentTokens}
 * ({@link ContentDrawer}). Everything else is the page's own, its resources too (they hold the
 * document's font cache).
 */
final class DecodedPage extends PDPage {
  private final PDPage page;
  private final byte[] content;
  private final ContentDrawer drawer;

  DecodedPage(PDPage page, byte[] content, ContentDrawer drawer) {
    super(page.getCOSObject());
    this.page = page;
    this.content = content;
    this.drawer = drawer;
  }

  @Override
  public PDResources getResources() {
    return page.getResources();
  }

  @Override
  public RandomAccessRead getContentsForStreamParsing() throws IOException {
    return ContentDrawer.drawn(drawer, content);
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
