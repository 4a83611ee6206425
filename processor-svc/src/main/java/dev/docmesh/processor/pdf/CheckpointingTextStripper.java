package dev.docmesh.processor.pdf;

import dev.docmesh.processor.spi.ProcessingContext;
import java.io.IOException;
import java.util.List;
import org.apache.pdfbox.contentstream.operator.Operator;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.text.PDFTextStripper;

/** A PDFTextStripper that honours cancellation and time limits inside a page, too. */
class CheckpointingTextStripper extends PDFTextStripper {
  private final OperatorCheckpoint checkpoint;

  CheckpointingTextStripper(ProcessingContext context) {
    this.checkpoint = new OperatorCheckpoint(context);
  }

  @Override
  protected void processOperator(Operator operator, List<COSBase> operands) throws IOException {
    checkpoint.tick();
    super.processOperator(operator, operands);
  }
}
