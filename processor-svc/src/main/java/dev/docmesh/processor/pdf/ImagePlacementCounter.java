package dev.docmesh.processor.pdf;

import dev.docmesh.processor.spi.ProcessingContext;
import java.io.IOException;
import java.util.List;
import org.apache.pdfbox.contentstream.PDFStreamEngine;
import org.apache.pdfbox.contentstream.operator.Operator;
import org.apache.pdfbox.contentstream.operator.OperatorProcessor;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.graphics.PDXObject;
import org.apache.pdfbox.pdmodel.graphics.form.PDFormXObject;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;

/**
 * Counts the images a page draws: each {@code Do} of an image XObject and each inline image,
 * following form XObjects (to a bounded depth: forms may reference themselves).
 */
final class ImagePlacementCounter extends PDFStreamEngine {
  private static final int MAX_FORM_DEPTH = 25;

  private final OperatorCheckpoint checkpoint;
  private int count;

  ImagePlacementCounter(ProcessingContext context) {
    this.checkpoint = new OperatorCheckpoint(context);
    addOperator(new DrawObject(this));
    addOperator(new InlineImage(this));
  }

  int count(PDPage page) throws IOException {
    count = 0;
    processPage(page);
    return count;
  }

  @Override
  protected void processOperator(Operator operator, List<COSBase> operands) throws IOException {
    checkpoint.tick();
    super.processOperator(operator, operands);
  }

  private final class DrawObject extends OperatorProcessor {
    DrawObject(PDFStreamEngine context) {
      super(context);
    }

    @Override
    public void process(Operator operator, List<COSBase> operands) throws IOException {
      if (operands.isEmpty() || !(operands.get(0) instanceof COSName name)) {
        return;
      }
      PDResources resources = getContext().getResources();
      if (resources == null) {
        return;
      }
      PDXObject xobject = resources.getXObject(name);
      if (xobject instanceof PDImageXObject) {
        count++;
      } else if (xobject instanceof PDFormXObject form
          && getContext().getLevel() < MAX_FORM_DEPTH) {
        getContext().increaseLevel();
        try {
          getContext().showForm(form);
        } finally {
          getContext().decreaseLevel();
        }
      }
    }

    @Override
    public String getName() {
      return "Do";
    }
  }

  private final class InlineImage extends OperatorProcessor {
    InlineImage(PDFStreamEngine context) {
      super(context);
    }

    @Override
    public void process(Operator operator, List<COSBase> operands) {
      count++;
    }

    @Override
    public String getName() {
      return "BI";
    }
  }
}
