package dev.docmesh.orchestrator.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Content-addressed documents: a document's id is {@code sha256:<hex>} of its bytes, so bytes
 * already stored are not stored again, and a reader never sees a partial document (a write becomes
 * visible whole, or not at all). {@link FileBlobStore} beside the SQLite store; {@link
 * PostgresBlobStore} in the database when every replica must reach every document.
 */
public interface BlobStore {

  static String documentId(byte[] sha256) {
    return "sha256:" + HexFormat.of().formatHex(sha256);
  }

  boolean exists(String documentId) throws IOException;

  void delete(String documentId) throws IOException;

  /** A new document being written; close it without commit to discard it. */
  Upload begin() throws IOException;

  /** The stored document, or null when there is none. */
  Reader open(String documentId) throws IOException;

  /** Stores bytes held in memory. */
  default Stored put(byte[] content) throws IOException {
    return put(ByteBuffer.wrap(content));
  }

  /**
   * Stores the bytes remaining in {@code content}, read without moving its position: a read-only
   * view of a request's bytes (an inline document) is stored without copying them first.
   */
  default Stored put(ByteBuffer content) throws IOException {
    // Bytes stored before cost a hash, not a temp file and an fsync (the same document submitted
    // again).
    MessageDigest sha = sha256();
    sha.update(content.duplicate());
    String id = documentId(sha.digest());
    if (exists(id)) {
      return new Stored(id, content.remaining(), true);
    }
    try (Upload u = begin()) {
      u.write(content.duplicate());
      return u.commit(u.digest());
    }
  }

  /**
   * The first {@code n} bytes of a stored document (fewer when it is shorter), or null when there
   * is none.
   */
  default byte[] head(String documentId, int n) throws IOException {
    try (Reader r = open(documentId)) {
      if (r == null) {
        return null;
      }
      ByteBuffer b = ByteBuffer.allocate((int) Math.min(n, r.size()));
      while (b.hasRemaining() && r.read(b, b.position()) >= 0) {
        // fill
      }
      return b.array();
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What an upload stored. */
  record Stored(String documentId, long sizeBytes, boolean alreadyStored) {}

  /** One document being written. */
  interface Upload extends AutoCloseable {
    long size();

    void write(ByteBuffer bytes) throws IOException;

    /** The SHA-256 of what was written so far; call once, before commit. */
    String digest();

    /** Stores the bytes under {@code documentId} (the digest computed by {@link #digest()}). */
    Stored commit(String documentId) throws IOException;

    @Override
    void close() throws IOException;
  }

  /** A stored document, read at any position. */
  interface Reader extends AutoCloseable {
    long size() throws IOException;

    /** Reads into {@code into} from {@code position}; -1 at the end. */
    int read(ByteBuffer into, long position) throws IOException;

    @Override
    void close() throws IOException;
  }

  /** The document as a stream (small documents, tests). */
  static InputStream stream(Reader r) {
    return new InputStream() {
      private long pos;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = r.read(ByteBuffer.wrap(b, off, len), pos);
        if (n > 0) {
          pos += n;
        }
        return n;
      }
    };
  }
}
