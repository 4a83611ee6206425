package dev.docmesh.orchestrator.intake;

import dev.docmesh.orchestrator.Failure;
import dev.docmesh.orchestrator.store.BlobStore;
import dev.docmesh.orchestrator.store.JobStore;
import dev.docmesh.orchestrator.store.StoreException;
import dev.docmesh.orchestrator.store.StoreFailures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One document upload: the announced size and checksum, then chunks written straight to a temp file
 * while hashed, moved into the blob store only when size and checksum agree.
 */
public final class Upload implements AutoCloseable {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private final long maxBytes;
  private final BlobStore blobs;
  private final JobStore store;
  private final Clock clock;
  private final Runnable awaitDurable;
  private final String uploader;
  private long announcedSize;
  private String announcedSha256;
  private BlobStore.Upload file;

  Upload(
      long maxBytes,
      BlobStore blobs,
      JobStore store,
      Clock clock,
      Runnable awaitDurable,
      String uploader) {
    this.uploader = uploader;
    this.maxBytes = maxBytes;
    this.blobs = blobs;
    this.store = store;
    this.clock = clock;
    this.awaitDurable = awaitDurable;
  }

  public boolean started() {
    return file != null;
  }

  /**
   * The header: {@code sizeBytes} 0 and {@code sha256} "" when the client does not announce them.
   */
  public void start(long sizeBytes, String sha256) throws IOException {
    String sha = sha256.toLowerCase(Locale.ROOT);
    if (!sha.isEmpty() && !SHA256.matcher(sha).matches()) {
      throw new Failure.InvalidArgument("header.sha256", "64 hex digits, or empty");
    }
    if (sizeBytes < 0 || sizeBytes > maxBytes) {
      throw tooLarge("header.size_bytes", sizeBytes);
    }
    announcedSize = sizeBytes;
    announcedSha256 = sha;
    try {
      file = blobs.begin();
    } catch (IOException e) {
      throw StoreFailures.of("cannot store the document", e);
    }
  }

  public void write(ByteBuffer chunk) throws IOException {
    if (file.size() + chunk.remaining() > maxBytes) {
      throw tooLarge("chunk", file.size() + chunk.remaining());
    }
    try {
      file.write(chunk);
    } catch (IOException e) {
      throw StoreFailures.of("cannot write the document", e);
    }
  }

  /** Checks what arrived against the header, stores it, and returns once its record is durable. */
  public BlobStore.Stored finish() throws IOException {
    if (file == null) {
      throw new Failure.InvalidArgument("header", "the stream ended before the header");
    }
    if (file.size() == 0) {
      throw new Failure.InvalidArgument("chunk", "the document is empty");
    }
    if (announcedSize > 0 && announcedSize != file.size()) {
      throw new Failure.InvalidArgument(
          "header.size_bytes", "announced " + announcedSize + " bytes, received " + file.size());
    }
    String id = file.digest();
    if (!announcedSha256.isEmpty() && !id.equals("sha256:" + announcedSha256)) {
      throw new Failure.InvalidArgument(
          "header.sha256",
          "the received bytes have SHA-256 " + id.substring(7) + "; nothing was stored");
    }
    BlobStore.Stored stored;
    try {
      stored = file.commit(id);
      store.touchDocument(stored.documentId(), stored.sizeBytes(), clock.instant());
      store.addUploader(stored.documentId(), uploader);
    } catch (IOException | StoreException e) {
      throw StoreFailures.of("cannot store the document", e);
    }
    awaitDurable.run();
    return stored;
  }

  private Failure.InvalidArgument tooLarge(String field, long size) {
    return new Failure.InvalidArgument(
        field,
        "the document is larger than the limit of "
            + maxBytes
            + " bytes (DOCMESH_MAX_DOCUMENT_BYTES): "
            + size);
  }

  /** Removes the temp file of an upload that did not finish (a no-op after {@link #finish}). */
  @Override
  public void close() throws IOException {
    if (file != null) {
      file.close();
    }
  }
}
