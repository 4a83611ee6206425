package dev.docmesh.orchestrator;

import dev.docmesh.proto.orchestrator.v1.GetDocumentRequest;
import dev.docmesh.proto.orchestrator.v1.GetDocumentResponse;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc.TaskQueueServiceBlockingStub;
import java.io.ByteArrayOutputStream;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/** Reads a document the way a worker does, checking offsets as it goes. */
final class DocumentFetch {
  private DocumentFetch() {}

  static byte[] fetch(TaskQueueServiceBlockingStub queue, String documentId, int chunkSize) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Iterator<GetDocumentResponse> it =
        queue
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .getDocument(
                GetDocumentRequest.newBuilder()
                    .setDocumentId(documentId)
                    .setChunkSize(chunkSize)
                    .build());
    while (it.hasNext()) {
      GetDocumentResponse r = it.next();
      if (r.getOffset() != out.size()) {
        throw new AssertionError(
            "chunk at offset " + r.getOffset() + " after " + out.size() + " bytes");
      }
      out.writeBytes(r.getChunk().toByteArray());
    }
    return out.toByteArray();
  }
}
