package dev.docmesh.bench;

import com.google.protobuf.ByteString;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import dev.docmesh.proto.processor.v1.UpstreamOutput;
import io.grpc.ManagedChannel;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Calls processors straight on processor-svc, as a worker would. */
final class Processors {
  /**
   * The progress interval worker-svc asks for (its DOCMESH_WORKER_PROGRESS_INTERVAL default):
   * without one, processor-svc sends an event a page, which a worker never asks for.
   */
  static final com.google.protobuf.Duration WORKER_PROGRESS_INTERVAL =
      com.google.protobuf.Duration.newBuilder().setNanos(50_000_000).build();

  private final ProcessorServiceGrpc.ProcessorServiceBlockingStub stub;

  Processors(ManagedChannel channel) {
    this.stub = ProcessorServiceGrpc.newBlockingStub(channel);
  }

  StageOutput process(String processor, Corpus.Doc doc, List<UpstreamOutput> upstream) {
    Iterator<ProcessResponse> it =
        stub.withDeadlineAfter(5, TimeUnit.MINUTES)
            .process(
                ProcessRequest.newBuilder()
                    .setProcessor(processor)
                    .setContent(ByteString.copyFrom(doc.bytes()))
                    .setMediaType("application/pdf")
                    .setFilename(doc.name())
                    .addAllUpstream(upstream)
                    .setProgressInterval(WORKER_PROGRESS_INTERVAL)
                    .build());
    StageOutput result = null;
    while (it.hasNext()) {
      ProcessResponse r = it.next();
      if (r.hasResult()) {
        result = r.getResult();
      }
    }
    if (result == null) {
      throw new IllegalStateException(processor + " on " + doc.name() + " ended without a result");
    }
    return result;
  }

  /**
   * The five stages of pdf-standard in its order, upstream outputs passed as the worker passes
   * them.
   */
  void pdfStandard(Corpus.Doc doc) {
    List<UpstreamOutput> validated =
        List.of(up("validate", "pdf.validate", process("pdf.validate", doc, List.of())));
    StageOutput metadata = process("pdf.metadata", doc, validated);
    StageOutput text = process("pdf.text", doc, validated);
    StageOutput structure = process("pdf.structure", doc, validated);
    process(
        "pdf.relationships",
        doc,
        List.of(
            up("metadata", "pdf.metadata", metadata),
            up("text", "pdf.text", text),
            up("structure", "pdf.structure", structure)));
  }

  private static UpstreamOutput up(String stage, String processor, StageOutput out) {
    return UpstreamOutput.newBuilder()
        .setStage(stage)
        .setProcessor(processor)
        .setOutput(out)
        .build();
  }
}
