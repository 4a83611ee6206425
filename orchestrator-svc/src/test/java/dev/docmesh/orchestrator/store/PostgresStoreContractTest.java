package dev.docmesh.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.docmesh.orchestrator.model.JobRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store contract on a real PostgreSQL server (a database of its own per test), plus what only a
 * shared store does.
 */
class PostgresStoreContractTest extends JobStoreContract {
  @TempDir Path dir;
  PostgresDatabase db;

  @Override
  JobStore openStore() {
    db = TestPostgres.newPool();
    return new PostgresJobStore(db);
  }

  @Override
  BlobStore openBlobs() {
    return new PostgresBlobStore(db.pool(), dir.resolve("spool"));
  }

  @AfterEach
  void closeDb() {
    db.close();
  }

  @Test
  void anotherReplicaLearnsOfEachCommitWithItsVersionButNotOfItsOwn() {
    PostgresJobStore other = new PostgresJobStore(db);
    List<String> seenByOther = new CopyOnWriteArrayList<>();
    List<String> seenBySelf = new CopyOnWriteArrayList<>();
    ReplicaChangesLog otherLog = new ReplicaChangesLog(seenByOther);
    assertThat(other.listen(otherLog)).isTrue();
    assertThat(store.listen(new ReplicaChangesLog(seenBySelf))).isTrue();
    try {
      JobRecord job = newJob("", Map.of(), T0);
      store.insert(job);
      job.markCommitted();
      job.lease(job.task("validate"), "w", "t", T0.plusSeconds(30), T0);
      store.save(job);

      await().atMost(Duration.ofSeconds(20)).until(() -> seenByOther.size() == 2);
      assertThat(seenByOther).containsExactly(job.id() + "@1", job.id() + "@2");
      assertThat(seenBySelf).isEmpty();
    } finally {
      other.close();
    }
  }

  @Test
  void concurrentInsertsWithOneRequestIdMakeOneJob() throws Exception {
    PostgresJobStore other = new PostgresJobStore(db);
    List<String> ids = new CopyOnWriteArrayList<>();
    List<Thread> threads = new java.util.ArrayList<>();
    for (int i = 0; i < 16; i++) {
      JobStore s = i % 2 == 0 ? store : other;
      Thread th =
          new Thread(
              () -> {
                JobRecord j = newJob("req-race", Map.of(), T0);
                try {
                  s.insert(j);
                  ids.add(j.id());
                } catch (DuplicateRequestException e) {
                  ids.add(e.existingJobId());
                }
              });
      th.start();
      threads.add(th);
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(ids).hasSize(16);
    assertThat(Set.copyOf(ids)).hasSize(1);
    assertThat(store.jobIdForRequest("alice", "req-race")).contains(ids.get(0));
  }

  private record ReplicaChangesLog(List<String> seen) implements JobStore.ReplicaChanges {
    @Override
    public void changed(String jobId, long version) {
      seen.add(jobId + "@" + version);
    }

    @Override
    public void resync() {}
  }
}
