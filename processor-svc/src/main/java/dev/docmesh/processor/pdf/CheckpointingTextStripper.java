package dev.docmesh.processor.pdf;

import dev.docmesh.processor.spi.ProcessingContext;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import org.apache.pdfbox.contentstream.operator.Operator;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageTree;
import org.apache.pdfbox.text.PDFTextStripper;

/**
 * A PDFTextStripper that honours cancellation and time limits inside a page, too, draws a page from
 * content the guard already decoded when given one, and reads one page without walking the others.
 */
class CheckpointingTextStripper extends PDFTextStripper {
  private final OperatorCheckpoint checkpoint;

  CheckpointingTextStripper(ProcessingContext context) {
    this.checkpoint = new OperatorCheckpoint(context);
  }

  /** Drawn in place of the document's page with the same dictionary (see {@link DecodedPage}). */
  private PDPage drawn;

  void drawInstead(PDPage page) {
    this.drawn = page;
  }

  @Override
  public void processPage(PDPage page) throws IOException {
    PDPage d = drawn;
    super.processPage(d != null && d.getCOSObject() == page.getCOSObject() ? d : page);
  }

  /** Added to the page number PDFTextStripper counts while it reads a one-page tree. */
  private int pageOffset;

  /**
   * When one page is asked for (start page = end page: the processors read a page a call), a tree
   * of that page alone. PDFTextStripper walks the whole page tree on every call, making a PDPage of
   * each page to skip it: N² pages for an N-page document read a page at a time.
   */
  @Override
  protected void processPages(PDPageTree pages) throws IOException {
    int target = getStartPage();
    if (target != getEndPage() || target < 1 || target > pages.getCount()) {
      super.processPages(pages);
      return;
    }
    PDPage page = pages.get(target - 1); // from the document's tree: its resource cache
    setStartPage(1);
    setEndPage(1);
    pageOffset = target - 1;
    try {
      super.processPages(new OnePage(page));
    } finally {
      pageOffset = 0;
      setStartPage(target);
      setEndPage(target);
    }
  }

  /** The page's number in the document, also while it is read from a one-page tree. */
  @Override
  protected int getCurrentPageNo() {
    return super.getCurrentPageNo() + pageOffset;
  }

  /** A page tree of one page, for {@link #processPages}: only iterated. */
  private static final class OnePage extends PDPageTree {
    private final PDPage page;

    OnePage(PDPage page) {
      this.page = page;
    }

    @Override
    public Iterator<PDPage> iterator() {
      return List.of(page).iterator();
    }

    @Override
    public int getCount() {
      return 1;
    }
  }

  @Override
  protected void processOperator(Operator operator, List<COSBase> operands) throws IOException {
    checkpoint.tick();
    super.processOperator(operator, operands);
  }
}
