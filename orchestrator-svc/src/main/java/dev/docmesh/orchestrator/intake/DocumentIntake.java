package dev.docmesh.orchestrator.intake;

import dev.docmesh.meshkit.media.MediaTypes;
import dev.docmesh.orchestrator.Failure;
import dev.docmesh.orchestrator.Ids;
import dev.docmesh.orchestrator.store.BlobStore;
import dev.docmesh.orchestrator.store.JobStore;
import dev.docmesh.orchestrator.store.StoreException;
import dev.docmesh.orchestrator.store.StoreFailures;
import dev.docmesh.proto.document.v1.DocumentRef;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;

/**
 * How documents enter the orchestrator: bytes inline in SubmitJob, an UploadDocument stream, or the
 * id of a document stored before. Each is stored (or found) in the blob store, recorded as used now
 * (retention counts from the last use) and labelled with a media type.
 */
public final class DocumentIntake {
  private final long maxInlineBytes;
  private final long maxDocumentBytes;
  private final BlobStore blobs;
  private final JobStore store;
  private final Clock clock;
  private final Runnable awaitDurable;

  /** {@code awaitDurable} waits until what the store committed so far is on disk. */
  public DocumentIntake(
      long maxInlineBytes,
      long maxDocumentBytes,
      BlobStore blobs,
      JobStore store,
      Clock clock,
      Runnable awaitDurable) {
    this.maxInlineBytes = maxInlineBytes;
    this.maxDocumentBytes = maxDocumentBytes;
    this.blobs = blobs;
    this.store = store;
    this.clock = clock;
    this.awaitDurable = awaitDurable;
  }

  /**
   * Stores bytes sent inline ({@code content} field): those remaining in {@code content}, read
   * without moving its position (a read-only view of the request's bytes will do).
   */
  public DocumentRef inline(ByteBuffer content, String filename, String declaredType)
      throws IOException {
    int length = content.remaining();
    if (length == 0) {
      throw new Failure.InvalidArgument("content", "the document is empty");
    }
    if (length > maxInlineBytes) {
      throw new Failure.InvalidArgument(
          "content",
          length
              + " bytes is more than the inline limit of "
              + maxInlineBytes
              + " (DOCMESH_MAX_INLINE_BYTES); use UploadDocument");
    }
    BlobStore.Stored stored;
    try {
      stored = blobs.put(content);
    } catch (IOException e) {
      throw StoreFailures.of("cannot store the document", e);
    }
    touch(stored.documentId(), stored.sizeBytes());
    byte[] head = new byte[Math.min(length, MediaTypes.SNIFF_BYTES)];
    content.duplicate().get(head);
    return ref(stored.documentId(), stored.sizeBytes(), filename, declaredType, head);
  }

  /** A document stored before, named by its id ({@code document_id} field). */
  public DocumentRef stored(String documentId, String filename, String declaredType)
      throws IOException {
    String id = Ids.checkDocumentId("document_id", documentId);
    long size = store.documentSize(id).orElseThrow(() -> new Failure.NotFound("document", id));
    byte[] head = blobs.head(id, MediaTypes.SNIFF_BYTES);
    if (head == null) {
      throw new Failure.NotFound("document", id);
    }
    touch(id, size);
    return ref(id, size, filename, declaredType, head);
  }

  /**
   * A new upload by {@code uploader} (a principal name, recorded with the document); close it to
   * discard what it received unless it {@link Upload#finish finished}.
   */
  public Upload upload(String uploader) {
    return new Upload(maxDocumentBytes, blobs, store, clock, awaitDurable, uploader);
  }

  /**
   * Records the document as used now; a refused write is the store's typed failure, as a commit's
   * is.
   */
  private void touch(String id, long size) {
    try {
      store.touchDocument(id, size, clock.instant());
    } catch (StoreException e) {
      throw StoreFailures.of("cannot record the document", e);
    }
  }

  private static DocumentRef ref(
      String id, long size, String filename, String declaredType, byte[] head) {
    return DocumentRef.newBuilder()
        .setId(id)
        .setSizeBytes(size)
        .setFilename(filename)
        .setMediaType(MediaTypes.sniff(declaredType, filename, head))
        .build();
  }
}
