package dev.docmesh.orchestrator.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Documents in PostgreSQL, so every replica reaches every document: a {@code blobs} row and its
 * {@code blob_chunks} (1 MiB each) appear in one transaction, keyed by the content's SHA-256, so
 * bytes already stored are not stored again and a reader never sees a partial document. An upload
 * is first spooled to a local temp file (hashed on the way), because its id is known only at its
 * end.
 */
public final class PostgresBlobStore implements BlobStore {
  static final int CHUNK_BYTES = 1 << 20;

  private final DataSource pool;
  private final Path spool;

  public PostgresBlobStore(DataSource pool, Path spoolDir) {
    this.pool = pool;
    this.spool = spoolDir;
    try {
      Files.createDirectories(spoolDir);
    } catch (IOException e) {
      throw new StoreException(
          "cannot use upload spool directory " + spoolDir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean exists(String documentId) throws IOException {
    return size(documentId) >= 0;
  }

  private long size(String documentId) throws IOException {
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT size_bytes FROM blobs WHERE id = ?")) {
      ps.setString(1, documentId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : -1;
      }
    } catch (SQLException e) {
      throw new IOException("cannot read document " + documentId + ": " + e.getMessage(), e);
    }
  }

  /**
   * Deletes the bytes unless the document was recorded again meanwhile (another replica's upload or
   * submit).
   */
  @Override
  public void delete(String documentId) throws IOException {
    try (Connection c = pool.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "DELETE FROM blobs WHERE id = ? AND NOT EXISTS (SELECT 1 FROM documents WHERE id = ?)")) {
      ps.setString(1, documentId);
      ps.setString(2, documentId);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new IOException("cannot delete document " + documentId + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Upload begin() throws IOException {
    return new ChunkedUpload(Files.createTempFile(spool, "upload-", ".part"));
  }

  @Override
  public Reader open(String documentId) throws IOException {
    long size = size(documentId);
    if (size < 0) {
      return null;
    }
    return new Reader() {
      @Override
      public long size() {
        return size;
      }

      @Override
      public int read(ByteBuffer into, long position) throws IOException {
        if (position >= size) {
          return -1;
        }
        int idx = (int) (position / CHUNK_BYTES);
        int from = (int) (position % CHUNK_BYTES);
        int len = (int) Math.min(into.remaining(), CHUNK_BYTES - from);
        try (Connection c = pool.getConnection();
            PreparedStatement ps =
                c.prepareStatement(
                    "SELECT substring(data FROM ? FOR ?) FROM blob_chunks WHERE blob_id = ? AND idx = ?")) {
          ps.setInt(1, from + 1);
          ps.setInt(2, len);
          ps.setString(3, documentId);
          ps.setInt(4, idx);
          try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
              throw new IOException("document " + documentId + " lost its chunk " + idx);
            }
            byte[] b = rs.getBytes(1);
            into.put(b);
            return b.length;
          }
        } catch (SQLException e) {
          throw new IOException("cannot read document " + documentId + ": " + e.getMessage(), e);
        }
      }

      @Override
      public void close() {
        // each read borrows its own connection
      }
    };
  }

  private final class ChunkedUpload extends SpooledUpload {
    ChunkedUpload(Path file) throws IOException {
      super(file);
    }

    @Override
    public Stored commit(String documentId) throws IOException {
      finishWriting(false);
      long size = size();
      try (Connection c = pool.getConnection()) {
        c.setAutoCommit(false);
        try {
          boolean inserted;
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO blobs (id, size_bytes, chunk_bytes) VALUES (?,?,?) ON CONFLICT (id) DO NOTHING")) {
            ps.setString(1, documentId);
            ps.setLong(2, size);
            ps.setInt(3, CHUNK_BYTES);
            inserted = ps.executeUpdate() == 1;
          }
          if (inserted) {
            writeChunks(c, documentId);
          }
          c.commit();
          return new Stored(documentId, size, !inserted);
        } catch (SQLException | IOException e) {
          c.rollback();
          throw e;
        }
      } catch (SQLException e) {
        throw new IOException("cannot store document " + documentId + ": " + e.getMessage(), e);
      } finally {
        Files.deleteIfExists(file);
      }
    }

    private void writeChunks(Connection c, String documentId) throws SQLException, IOException {
      try (InputStream in = Files.newInputStream(file);
          PreparedStatement ps =
              c.prepareStatement("INSERT INTO blob_chunks (blob_id, idx, data) VALUES (?,?,?)")) {
        int idx = 0;
        byte[] buf;
        while ((buf = in.readNBytes(CHUNK_BYTES)).length > 0) {
          ps.setString(1, documentId);
          ps.setInt(2, idx++);
          ps.setBytes(3, buf);
          ps.executeUpdate();
        }
      }
    }
  }
}
