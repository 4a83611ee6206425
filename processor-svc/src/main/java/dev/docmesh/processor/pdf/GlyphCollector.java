package dev.docmesh.processor.pdf;

import dev.docmesh.processor.layout.Glyph;
import dev.docmesh.processor.layout.LayoutAnalyzer;
import dev.docmesh.processor.spi.ProcessingContext;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDFont;
import org.apache.pdfbox.pdmodel.font.PDFontDescriptor;
import org.apache.pdfbox.text.TextPosition;

/**
 * Collects every page's glyphs with their display positions (origin top-left of the crop box, as
 * PDFBox's "direction adjusted" coordinates are) for layout analysis, reporting one progress event
 * per page.
 */
final class GlyphCollector extends CheckpointingTextStripper {
  private final ProcessingContext context;
  private final List<LayoutAnalyzer.Page> pages = new ArrayList<>();
  private final List<Glyph> current = new ArrayList<>();
  private int total;

  GlyphCollector(ProcessingContext context) {
    super(context);
    this.context = context;
    guardedBy(new StreamGuard(context.maxDecodedStreamBytes()));
  }

  List<LayoutAnalyzer.Page> collect(PDDocument document) throws IOException {
    total = document.getNumberOfPages();
    writeText(document, Writer.nullWriter());
    return pages;
  }

  @Override
  protected void startPage(PDPage page) throws IOException {
    current.clear();
  }

  @Override
  protected void writePage() {
    PDRectangle box = getCurrentPage().getCropBox();
    float width = Math.max(box.getWidth(), box.getHeight());
    for (List<TextPosition> article : charactersByArticle) {
      for (TextPosition t : article) {
        // Text placed wholly off the page is invisible: it is no part of the layout.
        if (t.getXDirAdj() + t.getWidthDirAdj() < 0
            || t.getYDirAdj() < 0
            || t.getXDirAdj() > width
            || t.getYDirAdj() - t.getHeightDir() > width) {
          continue;
        }
        current.add(
            new Glyph(
                t.getUnicode(),
                t.getXDirAdj(),
                t.getYDirAdj(),
                t.getWidthDirAdj(),
                t.getHeightDir(),
                t.getFontSizeInPt(),
                isBold(t.getFont())));
      }
    }
  }

  @Override
  protected void endPage(PDPage page) {
    PDRectangle box = page.getCropBox();
    boolean turned = Math.floorMod(page.getRotation(), 180) == 90;
    int number = getCurrentPageNo();
    pages.add(
        new LayoutAnalyzer.Page(
            number,
            turned ? box.getHeight() : box.getWidth(),
            turned ? box.getWidth() : box.getHeight(),
            List.copyOf(current)));
    current.clear();
    context.progress(number, total, "page", "page " + number + " of " + total);
  }

  private static boolean isBold(PDFont font) {
    if (font == null) {
      return false;
    }
    String name = font.getName() == null ? "" : font.getName().toLowerCase(Locale.ROOT);
    if (name.contains("bold")
        || name.contains("black")
        || name.contains("heavy")
        || name.contains("semibold")) {
      return true;
    }
    PDFontDescriptor descriptor = font.getFontDescriptor();
    return descriptor != null && (descriptor.isForceBold() || descriptor.getFontWeight() >= 600);
  }
}
