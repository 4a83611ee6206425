package dev.docmesh.processor.pdf;

import dev.docmesh.meshkit.media.MediaTypes;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import java.util.List;

/** The ProcessorInfo of a built-in PDF processor. */
final class PdfProcessorInfo {
  static final String VERSION = "1.0.0";

  private PdfProcessorInfo() {}

  static ProcessorInfo of(String name, String description, String output, String... inputs) {
    return ProcessorInfo.newBuilder()
        .setName(name)
        .setVersion(VERSION)
        .setDescription(description)
        .addMediaTypes(MediaTypes.PDF)
        .setOutput(output)
        .addAllInputs(List.of(inputs))
        .build();
  }
}
