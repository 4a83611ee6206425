package dev.docmesh.orchestrator.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Content-addressed documents on the filesystem: {@code <dir>/<2 hex>/<62 hex>}. A write goes to a
 * temp file, is synced, and renamed into place atomically, so a reader never sees a partial
 * document; bytes already stored are not stored again.
 */
public final class FileBlobStore implements BlobStore {
  private final Path dir;
  private final Path tmp;

  public FileBlobStore(Path dir) {
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

  public Path path(String documentId) {
    String hex = documentId.substring("sha256:".length());
    return dir.resolve(hex.substring(0, 2)).resolve(hex.substring(2));
  }

  @Override
  public boolean exists(String documentId) {
    return Files.isRegularFile(path(documentId));
  }

  @Override
  public void delete(String documentId) throws IOException {
    Files.deleteIfExists(path(documentId));
  }

  @Override
  public Upload begin() throws IOException {
    return new FileUpload(Files.createTempFile(tmp, "upload-", ".part"));
  }

  @Override
  public Reader open(String documentId) throws IOException {
    FileChannel c;
    try {
      c = FileChannel.open(path(documentId), StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      return null;
    }
    return new Reader() {
      @Override
      public long size() throws IOException {
        return c.size();
      }

      @Override
      public int read(ByteBuffer into, long position) throws IOException {
        return c.read(into, position);
      }

      @Override
      public void close() throws IOException {
        c.close();
      }
    };
  }

  /**
   * Makes a rename durable (the directory entry); best effort where directories cannot be opened.
   */
  private static void syncDirectory(Path d) {
    try (FileChannel c = FileChannel.open(d, StandardOpenOption.READ)) {
      c.force(true);
    } catch (IOException notSupported) {
      // e.g. on Windows; the file itself is synced
    }
  }

  /** One document being written to a temp file; close without commit discards it. */
  private final class FileUpload extends SpooledUpload {
    private FileUpload(Path file) throws IOException {
      super(file);
    }

    /**
     * Moves the bytes into place under {@code documentId} (the digest computed by {@link
     * #digest()}).
     */
    @Override
    public Stored commit(String documentId) throws IOException {
      Path target = path(documentId);
      // A document stored before (same digest) is already on disk: its spooled copy is deleted,
      // so flushing that copy to disk first would be an fsync for nothing.
      boolean known = Files.exists(target);
      finishWriting(!known);
      long size = size();
      if (known) {
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
  }
}
