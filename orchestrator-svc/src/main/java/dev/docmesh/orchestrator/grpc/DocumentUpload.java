package dev.docmesh.orchestrator.grpc;

import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.orchestrator.store.BlobStore;
import dev.docmesh.orchestrator.store.JobStore;
import dev.docmesh.proto.orchestrator.v1.UploadDocumentRequest;
import dev.docmesh.proto.orchestrator.v1.UploadHeader;
import dev.docmesh.proto.orchestrator.v1.UploadDocumentResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Clock;
import java.util.Locale;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One UploadDocument stream: the header, then chunks written straight to a temp file while
 * hashed, moved into the blob store only when size and checksum agree. grpc asks the client
 * for the next message only after {@link #onNext} returns, so a slow disk slows the client.
 */
final class DocumentUpload implements StreamObserver<UploadDocumentRequest> {
  private static final Logger log = LoggerFactory.getLogger(DocumentUpload.class);
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private final long maxBytes;
  private final BlobStore blobs;
  private final JobStore store;
  private final Clock clock;
  private final Runnable awaitDurable;
  private final StreamObserver<UploadDocumentResponse> response;
  private UploadHeader header;
  private BlobStore.Upload upload;
  private boolean failed;

  DocumentUpload(long maxBytes, BlobStore blobs, JobStore store, Clock clock, Runnable awaitDurable,
      StreamObserver<UploadDocumentResponse> response) {
    this.maxBytes = maxBytes;
    this.blobs = blobs;
    this.store = store;
    this.clock = clock;
    this.awaitDurable = awaitDurable;
    this.response = response;
  }

  @Override
  public void onNext(UploadDocumentRequest m) {
    if (failed) {
      return;
    }
    try {
      if (header == null) {
        if (!m.hasHeader()) {
          throw Errors.invalidArgument("header", "the first message must be the header");
        }
        header = m.getHeader();
        String sha = header.getSha256().toLowerCase(Locale.ROOT);
        if (!sha.isEmpty() && !SHA256.matcher(sha).matches()) {
          throw Errors.invalidArgument("header.sha256", "64 hex digits, or empty");
        }
        if (header.getSizeBytes() < 0 || header.getSizeBytes() > maxBytes) {
          throw tooLarge("header.size_bytes", header.getSizeBytes());
        }
        upload = blobs.begin();
        return;
      }
      if (m.hasHeader()) {
        throw Errors.invalidArgument("header", "only the first message may be a header");
      }
      if (upload.size() + m.getChunk().size() > maxBytes) {
        throw tooLarge("chunk", upload.size() + m.getChunk().size());
      }
      upload.write(m.getChunk().asReadOnlyByteBuffer());
    } catch (StatusRuntimeException e) {
      fail(e);
    } catch (IOException e) {
      log.error("upload failed", e);
      fail(Status.INTERNAL.withDescription("cannot write the document: " + e.getMessage()).asRuntimeException());
    }
  }

  private StatusRuntimeException tooLarge(String field, long size) {
    return Errors.invalidArgument(field, "the document is larger than the limit of " + maxBytes
        + " bytes (DOCMESH_MAX_DOCUMENT_BYTES): " + size);
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
      if (header == null) {
        throw Errors.invalidArgument("header", "the stream ended before the header");
      }
      if (upload.size() == 0) {
        throw Errors.invalidArgument("chunk", "the document is empty");
      }
      if (header.getSizeBytes() > 0 && header.getSizeBytes() != upload.size()) {
        throw Errors.invalidArgument("header.size_bytes", "announced " + header.getSizeBytes() + " bytes, received " + upload.size());
      }
      String id = upload.digest();
      String expected = header.getSha256().toLowerCase(Locale.ROOT);
      if (!expected.isEmpty() && !id.equals("sha256:" + expected)) {
        throw Errors.invalidArgument("header.sha256", "the received bytes have SHA-256 " + id.substring(7) + "; nothing was stored");
      }
      BlobStore.Stored stored = upload.commit(id);
      store.touchDocument(stored.documentId(), stored.sizeBytes(), clock.instant());
      awaitDurable.run();
      response.onNext(UploadDocumentResponse.newBuilder().setDocumentId(stored.documentId())
          .setSizeBytes(stored.sizeBytes()).setAlreadyStored(stored.alreadyStored()).build());
      response.onCompleted();
    } catch (StatusRuntimeException e) {
      fail(e);
    } catch (IOException | RuntimeException e) {
      log.error("upload failed", e);
      fail(Status.INTERNAL.withDescription("cannot store the document: " + e.getMessage()).asRuntimeException());
    }
  }

  private void fail(StatusRuntimeException e) {
    failed = true;
    discard();
    response.onError(e);
  }

  private void discard() {
    if (upload != null) {
      try {
        upload.close();
      } catch (IOException e) {
        log.warn("cannot remove a discarded upload: {}", e.getMessage());
      }
    }
  }
}
