package dev.docmesh.processor.pdf;

import dev.docmesh.processor.layout.LayoutAnalyzer;
import dev.docmesh.processor.spi.DocumentProcessor;
import dev.docmesh.processor.spi.ProcessingContext;
import dev.docmesh.proto.document.v1.Elements;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import org.apache.pdfbox.pdmodel.PDDocument;

/**
 * {@code pdf.structure}: layout elements (title, headings with levels, paragraphs, list items,
 * tables with cells, captions, running headers, footers and page numbers) with page, bounding box
 * (PDF points, origin top-left), font size, weight and enclosing section.
 */
public final class StructureProcessor implements DocumentProcessor {
  public static final String NAME = "pdf.structure";

  @Override
  public ProcessorInfo info() {
    return PdfProcessorInfo.of(
        NAME,
        "Finds layout elements (title, headings, paragraphs, lists, tables, captions, headers, footers) from font size, weight and position.",
        "elements");
  }

  @Override
  public StageOutput process(ProcessingContext context) throws Exception {
    try (PDDocument document = context.openPdf()) {
      var pages = new GlyphCollector(context).collect(document);
      context.checkpoint();
      return StageOutput.newBuilder()
          .setElements(Elements.newBuilder().addAllElements(LayoutAnalyzer.analyze(pages)))
          .build();
    }
  }
}
