package dev.docmesh.orchestrator.pipeline;

import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.Stage;

/** Pipelines that exist without any configuration. */
public final class BuiltInPipelines {
  public static final String PDF_STANDARD = "pdf-standard";

  private BuiltInPipelines() {}

  /** validate → {metadata, text, structure} → relationships. */
  public static Pipeline pdfStandard() {
    return Pipeline.newBuilder()
        .setName(PDF_STANDARD)
        .setDescription(
            "PDF: validate, then metadata, text and structure in parallel, then relationships")
        .addStages(stage("validate", "pdf.validate"))
        .addStages(stage("metadata", "pdf.metadata", "validate"))
        .addStages(stage("text", "pdf.text", "validate"))
        .addStages(stage("structure", "pdf.structure", "validate"))
        .addStages(stage("relationships", "pdf.relationships", "metadata", "text", "structure"))
        .build();
  }

  private static Stage stage(String name, String processor, String... after) {
    return Stage.newBuilder()
        .setName(name)
        .setProcessor(processor)
        .addAllAfter(java.util.List.of(after))
        .build();
  }
}
