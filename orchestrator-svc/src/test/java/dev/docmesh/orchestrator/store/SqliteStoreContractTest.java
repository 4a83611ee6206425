package dev.docmesh.orchestrator.store;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on an SQLite file and filesystem blobs in a temp directory. */
class SqliteStoreContractTest extends JobStoreContract {
  @TempDir Path dir;

  @Override
  JobStore openStore() {
    return new SqliteJobStore(dir.resolve("orchestrator.db"), "NORMAL");
  }

  @Override
  BlobStore openBlobs() {
    return new FileBlobStore(dir.resolve("blobs"));
  }
}
