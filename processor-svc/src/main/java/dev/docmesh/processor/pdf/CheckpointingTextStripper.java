package dev.docmesh.processor.pdf;

import dev.docmesh.processor.spi.ProcessingContext;
import java.io.IOException;
import java.util.List;
import org.apache.pdfbox.contentstream.operator.Operator;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.text.PDFTextStripper;

/**
 * A PDFTextStripper that honours cancellation and time limits inside a page, too, and draws a page
 * from content the guard already decoded when given one.
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

  @Override
  protected void processOperator(Operator operator, List<COSBase> operands) throws IOException {
    checkpoint.tick();
    super.processOperator(operator, operands);
  }
}
