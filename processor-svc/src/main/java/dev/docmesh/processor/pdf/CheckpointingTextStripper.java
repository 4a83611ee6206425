package dev.docmesh.processor.pdf;

import dev.docmesh.processor.spi.ProcessingContext;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.pdfbox.contentstream.operator.Operator;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageTree;
import org.apache.pdfbox.pdmodel.graphics.form.PDFormXObject;
import org.apache.pdfbox.pdmodel.graphics.form.PDTransparencyGroup;
import org.apache.pdfbox.text.PDFTextStripper;
import org.apache.pdfbox.text.TextPosition;

/**
 * A PDFTextStripper that honours cancellation and time limits inside a page, too, draws a page and
 * its forms from content the guard already decoded when given it, reads one page without walking
 * the others, and drops text drawn over itself more cheaply than PDFBox ({@link
 * OverlappingDuplicates}).
 */
class CheckpointingTextStripper extends PDFTextStripper {
  private final OperatorCheckpoint checkpoint;

  CheckpointingTextStripper(ProcessingContext context) {
    this.checkpoint = new OperatorCheckpoint(context);
    super.setSuppressDuplicateOverlappingText(false); // done here, see processTextPosition
  }

  private final OverlappingDuplicates duplicates = new OverlappingDuplicates();
  private boolean suppressDuplicates = true; // PDFTextStripper's default

  /**
   * Whether the innermost marked content carries /ActualText, tracked as PDFTextStripper tracks it
   * (its own field is private): that text replaces the glyphs, and is never suppressed.
   */
  private boolean inActualText;

  private final ArrayDeque<Boolean> actualTexts = new ArrayDeque<>();

  @Override
  public void setSuppressDuplicateOverlappingText(boolean suppress) {
    this.suppressDuplicates = suppress;
  }

  @Override
  public boolean getSuppressDuplicateOverlappingText() {
    return suppressDuplicates;
  }

  @Override
  public void beginMarkedContentSequence(COSName tag, COSDictionary properties) {
    super.beginMarkedContentSequence(tag, properties);
    inActualText = properties != null && properties.getString(COSName.ACTUAL_TEXT) != null;
    actualTexts.push(inActualText);
  }

  @Override
  public void endMarkedContentSequence() {
    if (!actualTexts.isEmpty() && actualTexts.pop()) {
      inActualText = false;
    }
    super.endMarkedContentSequence();
  }

  @Override
  protected void processTextPosition(TextPosition text) {
    if (suppressDuplicates && !inActualText && duplicates.repeats(text)) {
      return;
    }
    super.processTextPosition(text);
  }

  /**
   * Checks every page before it is drawn and hands PDFBox the content it decoded ({@link
   * StreamGuard#checkPageKeepingContent}, {@link DecodedPage}, {@link DecodedForm}); none: pages
   * are drawn as they are, unchecked.
   */
  private StreamGuard guard;

  void guardedBy(StreamGuard guard) {
    this.guard = guard;
  }

  @Override
  public void showForm(PDFormXObject form) throws IOException {
    super.showForm(
        guard == null
            ? form
            : DecodedForm.of(form, guard.decodedForm(form.getCOSObject()), this::draw));
  }

  @Override
  public void showTransparencyGroup(PDTransparencyGroup group) throws IOException {
    super.showTransparencyGroup(
        guard == null
            ? group
            : DecodedForm.of(group, guard.decodedForm(group.getCOSObject()), this::draw));
  }

  @Override
  public void processPage(PDPage page) throws IOException {
    duplicates.clear();
    byte[] content = guard == null ? null : guard.checkPageKeepingContent(page);
    super.processPage(content == null ? page : new DecodedPage(page, content, this::draw));
  }

  /** Runs decoded content's operators as PDFBox's own loop runs them ({@link ContentDrawer}). */
  private void draw(byte[] content) throws IOException {
    ContentTokens tokens = new ContentTokens(content);
    List<COSBase> arguments = new ArrayList<>();
    for (Object token = tokens.next(); token != null; token = tokens.next()) {
      if (token instanceof Operator operator) {
        processOperator(operator, arguments);
        arguments.clear();
      } else {
        arguments.add((COSBase) token);
      }
    }
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
