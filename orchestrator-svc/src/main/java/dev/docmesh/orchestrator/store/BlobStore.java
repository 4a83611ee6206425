package dev.docmesh.orchestrator.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Content-addressed documents on the filesystem: {@code <dir>/<2 hex>/<62 hex>}. A write goes
 * to a temp file, is synced, and renamed into place atomically, so a reader never sees a
 * partial document; bytes already stored are not stored again.
 */
public final class BlobStore {
  private final Path dir;
  private final Path tmp;

  public BlobStore(Path dir) {
    this.dir = dir;
    this.tmp = dir.resolve("tmp");
    try {
      Files.createDirectories(tmp);
      // Leftovers of uploads cut off by a crash are never renamed into place.
      try (var old = Files.list(tmp)) {
        old.forEach(p -> p.toFile().delete());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot use blob directory " + dir, e);
    }
  }

  public static String documentId(byte[] sha256) {
    return "sha256:" + HexFormat.of().formatHex(sha256);
  }

  public Path path(String documentId) {
    String hex = documentId.substring("sha256:".length());
    return dir.resolve(hex.substring(0, 2)).resolve(hex.substring(2));
  }

  public boolean exists(String documentId) {
    return Files.isRegularFile(path(documentId));
  }

  public void delete(String documentId) throws IOException {
    Files.deleteIfExists(path(documentId));
  }

  public Upload begin() throws IOException {
    return new Upload(Files.createTempFile(tmp, "upload-", ".part"));
  }

  /** Stores bytes held in memory (inline documents). */
  public Stored put(byte[] content) throws IOException {
    // Bytes stored before cost a hash, not a temp file and an fsync (the same document submitted again).
    String id = documentId(sha256().digest(content));
    if (exists(id)) {
      return new Stored(id, content.length, true);
    }
    try (Upload u = begin()) {
      u.write(ByteBuffer.wrap(content));
      return u.commit();
    }
  }

  /** What an upload stored. */
  public record Stored(String documentId, long sizeBytes, boolean alreadyStored) {}

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Makes a rename durable (the directory entry); best effort where directories cannot be opened. */
  private static void syncDirectory(Path d) {
    try (FileChannel c = FileChannel.open(d, StandardOpenOption.READ)) {
      c.force(true);
    } catch (IOException notSupported) {
      // e.g. on Windows; the file itself is synced
    }
  }

  /** One document being written; close without commit discards it. */
  public final class Upload implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private final MessageDigest sha;
    private long size;
    private boolean done;

    private Upload(Path file) throws IOException {
      this.file = file;
      this.channel = FileChannel.open(file, StandardOpenOption.WRITE);
      this.sha = sha256();
    }

    public long size() {
      return size;
    }

    public void write(ByteBuffer bytes) throws IOException {
      sha.update(bytes.duplicate());
      size += bytes.remaining();
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
    }

    /** The SHA-256 of what was written so far; call once, before commit. */
    public String digest() {
      return documentId(sha.digest());
    }

    public Stored commit() throws IOException {
      return commit(digest());
    }

    /** Moves the bytes into place under {@code documentId} (the digest computed by {@link #digest()}). */
    public Stored commit(String documentId) throws IOException {
      done = true;
      channel.force(true);
      channel.close();
      Path target = path(documentId);
      if (Files.exists(target)) {
        Files.delete(file);
        return new Stored(documentId, size, true);
      }
      Files.createDirectories(target.getParent());
      try {
        Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException race) {
        Files.deleteIfExists(file);
        return new Stored(documentId, size, true);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("blob directory does not support atomic rename: " + dir, e);
      }
      syncDirectory(target.getParent());
      return new Stored(documentId, size, false);
    }

    @Override
    public void close() throws IOException {
      if (!done) {
        done = true;
        channel.close();
        Files.deleteIfExists(file);
      }
    }
  }
}
