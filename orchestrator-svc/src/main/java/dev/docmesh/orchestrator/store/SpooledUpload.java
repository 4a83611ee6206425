package dev.docmesh.orchestrator.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * An upload written to a temp file while its SHA-256 and size are taken; each blob store says in
 * {@link #commit} where the finished file goes. Closed without commit, the file is discarded.
 */
abstract class SpooledUpload implements BlobStore.Upload {
  protected final Path file;
  private final FileChannel channel;
  private final MessageDigest sha = BlobStore.sha256();
  private long size;
  private boolean done;

  SpooledUpload(Path file) throws IOException {
    this.file = file;
    this.channel = FileChannel.open(file, StandardOpenOption.WRITE);
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public void write(ByteBuffer bytes) throws IOException {
    sha.update(bytes.duplicate());
    size += bytes.remaining();
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
  }

  @Override
  public String digest() {
    return BlobStore.documentId(sha.digest());
  }

  /**
   * Ends writing before a commit moves the file on: from here on {@link #close} leaves the file to
   * the commit. {@code force}: the bytes reach the disk first (the file itself is kept).
   */
  protected void finishWriting(boolean force) throws IOException {
    done = true;
    if (force) {
      channel.force(true);
    }
    channel.close();
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
