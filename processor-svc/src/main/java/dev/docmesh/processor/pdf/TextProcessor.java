package dev.docmesh.processor.pdf;

import dev.docmesh.processor.spi.DocumentProcessor;
import dev.docmesh.processor.spi.ProcessingContext;
import dev.docmesh.proto.document.v1.DocumentText;
import dev.docmesh.proto.document.v1.PageText;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import java.util.List;
import java.util.Set;
import org.apache.pdfbox.pdmodel.PDDocument;

/**
 * {@code pdf.text}: the text of every page in reading order, one progress event per page. Reading
 * order is PDFBox's: content order with its column heuristics, or strictly top to bottom, left to
 * right with {@code sort_by_position=true}.
 */
public final class TextProcessor implements DocumentProcessor {
  public static final String NAME = "pdf.text";
  static final String SORT_BY_POSITION = "sort_by_position";

  @Override
  public ProcessorInfo info() {
    return PdfProcessorInfo.of(NAME, "Extracts the text of every page in reading order.", "text");
  }

  @Override
  public Set<String> options() {
    return Set.of(SORT_BY_POSITION);
  }

  @Override
  public StageOutput process(ProcessingContext context) throws Exception {
    boolean sort = context.booleanOption(SORT_BY_POSITION, false);
    try (PDDocument document = context.openPdf()) {
      return StageOutput.newBuilder().setText(extract(document, context, sort)).build();
    }
  }

  /**
   * The per-page text of an open document, its pages spread over idle processing threads ({@link
   * ParallelPages}); public so benchmarks can call it without gRPC.
   */
  public static DocumentText extract(
      PDDocument document, ProcessingContext context, boolean sortByPosition)
      throws java.io.IOException {
    List<PageText> pages =
        ParallelPages.read(
            context,
            document,
            doc -> {
              CheckpointingTextStripper stripper = new CheckpointingTextStripper(context);
              StreamGuard guard = new StreamGuard(context.maxDecodedStreamBytes());
              stripper.guardedBy(guard);
              stripper.setSortByPosition(sortByPosition);
              stripper.setLineSeparator("\n");
              stripper.setPageEnd("");
              return page -> {
                stripper.setStartPage(page);
                stripper.setEndPage(page);
                return PageText.newBuilder()
                    .setPageNumber(page)
                    .setText(stripper.getText(doc))
                    .build();
              };
            });
    return DocumentText.newBuilder().addAllPages(pages).build();
  }
}
