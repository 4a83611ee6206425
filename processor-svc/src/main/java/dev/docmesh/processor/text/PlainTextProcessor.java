package dev.docmesh.processor.text;

import dev.docmesh.meshkit.media.MediaTypes;
import dev.docmesh.processor.spi.DocumentProcessor;
import dev.docmesh.processor.spi.ProcessingContext;
import dev.docmesh.proto.document.v1.DocumentText;
import dev.docmesh.proto.document.v1.PageText;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessorInfo;

/**
 * {@code text.plain}: UTF-8 text as DocumentText; form feeds separate pages, as printers read them.
 */
public final class PlainTextProcessor implements DocumentProcessor {
  public static final String NAME = "text.plain";

  @Override
  public ProcessorInfo info() {
    return ProcessorInfo.newBuilder()
        .setName(NAME)
        .setVersion("1.0.0")
        .setDescription("Reads UTF-8 text as pages of text (a form feed starts a new page).")
        .addMediaTypes(MediaTypes.PLAIN)
        .addMediaTypes(MediaTypes.MARKDOWN)
        .setOutput("text")
        .build();
  }

  @Override
  public StageOutput process(ProcessingContext context) {
    String[] pages = TextDecoding.decode(context.content()).split("\f", -1);
    DocumentText.Builder text = DocumentText.newBuilder();
    for (int i = 0; i < pages.length; i++) {
      context.checkpoint();
      text.addPages(PageText.newBuilder().setPageNumber(i + 1).setText(pages[i]));
    }
    return StageOutput.newBuilder().setText(text).build();
  }
}
