package dev.docmesh.orchestrator.grpc;

import dev.docmesh.orchestrator.Failure;
import dev.docmesh.orchestrator.intake.Upload;
import dev.docmesh.orchestrator.store.BlobStore;
import dev.docmesh.proto.orchestrator.v1.UploadDocumentRequest;
import dev.docmesh.proto.orchestrator.v1.UploadDocumentResponse;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One UploadDocument stream over an intake {@link Upload}: the header first, then chunks. grpc asks
 * the client for the next message only after {@link #onNext} returns, so a slow disk slows the
 * client.
 */
final class DocumentUpload implements StreamObserver<UploadDocumentRequest> {
  private static final Logger log = LoggerFactory.getLogger(DocumentUpload.class);

  private final Upload upload;
  private final StreamObserver<UploadDocumentResponse> response;
  private boolean failed;

  DocumentUpload(Upload upload, StreamObserver<UploadDocumentResponse> response) {
    this.upload = upload;
    this.response = response;
  }

  @Override
  public void onNext(UploadDocumentRequest m) {
    if (failed) {
      return;
    }
    try {
      if (!upload.started()) {
        if (!m.hasHeader()) {
          throw new Failure.InvalidArgument("header", "the first message must be the header");
        }
        upload.start(m.getHeader().getSizeBytes(), m.getHeader().getSha256());
        return;
      }
      if (m.hasHeader()) {
        throw new Failure.InvalidArgument("header", "only the first message may be a header");
      }
      upload.write(m.getChunk().asReadOnlyByteBuffer());
    } catch (Failure e) {
      fail(e);
    } catch (IOException e) {
      log.error("upload failed", e);
      fail(new Failure.Internal("cannot write the document: " + e.getMessage(), e));
    }
  }

  @Override
  public void onError(Throwable t) {
    discard();
  }

  @Override
  public void onCompleted() {
    if (failed) {
      return;
    }
    try {
      BlobStore.Stored stored = upload.finish();
      response.onNext(
          UploadDocumentResponse.newBuilder()
              .setDocumentId(stored.documentId())
              .setSizeBytes(stored.sizeBytes())
              .setAlreadyStored(stored.alreadyStored())
              .build());
      response.onCompleted();
    } catch (Failure e) {
      fail(e);
    } catch (IOException | RuntimeException e) {
      log.error("upload failed", e);
      fail(new Failure.Internal("cannot store the document: " + e.getMessage(), e));
    }
  }

  private void fail(Failure e) {
    failed = true;
    discard();
    response.onError(FailureStatus.of(e));
  }

  private void discard() {
    try {
      upload.close();
    } catch (IOException e) {
      log.warn("cannot remove a discarded upload: {}", e.getMessage());
    }
  }
}
