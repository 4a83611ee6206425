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
      job.markCommitted(1);
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

  @Test
  void aClaimSkipsAJobAnotherReplicaHoldsAndItsLeaseCommitsInTheClaim() {
    PostgresJobStore other = new PostgresJobStore(db);
    try {
      JobRecord first = newJob("", Map.of(), T0);
      JobRecord second = newJob("", Map.of(), T0.plusSeconds(1));
      store.insert(first);
      store.insert(second);
      List<String> validate = List.of("pdf.validate");

      JobStore.Claim mine = store.claimNext(validate, T0.plusSeconds(5)).orElseThrow();
      assertThat(mine.jobId()).isEqualTo(first.id()); // READY longest
      assertThat(mine.stage()).isEqualTo("validate");
      assertThat(mine.version()).isEqualTo(1);
      // The other replica does not wait for the held job, nor take it: it gets the next task.
      JobStore.Claim theirs = other.claimNext(validate, T0.plusSeconds(5)).orElseThrow();
      assertThat(theirs.jobId()).isEqualTo(second.id());
      assertThat(other.claim(first.id(), "validate")).isEmpty();
      assertThat(other.claimNext(validate, T0.plusSeconds(5))).isEmpty();
      // Only READY tasks of the poller's processors, due by now.
      assertThat(store.claimNext(List.of("pdf.text"), T0.plusSeconds(5))).isEmpty();

      first.markCommitted(1);
      first.lease(first.task("validate"), "w", "tok", T0.plusSeconds(30), T0);
      store.save(first); // commits the claim's transaction, releasing the row
      mine.close(); // a no-op now
      theirs.close(); // gives the second job up unleased

      assertThat(store.load(first.id()).orElseThrow().task("validate").leaseToken())
          .isEqualTo("tok");
      JobStore.Claim again = other.claimNext(validate, T0.plusSeconds(5)).orElseThrow();
      assertThat(again.jobId()).isEqualTo(second.id());
      assertThat(store.claim(second.id(), "validate")).isEmpty();
      again.close();
      try (JobStore.Claim row = store.claim(first.id(), "validate").orElseThrow()) {
        assertThat(row.version()).isEqualTo(2); // the caller's record of version 1 is behind
      }
      assertThat(store.claim(second.id(), "validate")).isPresent();
    } finally {
      other.close();
    }
  }

  @Test
  void aClaimTakesTheHighestPriorityThenTheLongestReadyAndNoTaskInBackoff() {
    JobRecord low = newJob("", Map.of(), T0);
    store.insert(low);
    JobRecord high =
        new JobRecord(
            dev.docmesh.orchestrator.Ids.newJobId(T0.plusSeconds(1)),
            PDF.getName(),
            PDF,
            dev.docmesh.orchestrator.pipeline.PipelineValidator.validate(
                PDF, "pipeline", p -> true),
            dev.docmesh.proto.document.v1.DocumentRef.newBuilder().setId(DOC).build(),
            Map.of(),
            5,
            "",
            T0.plusSeconds(1),
            "",
            "",
            "",
            "alice");
    high.create(T0.plusSeconds(1));
    store.insert(high);
    try (JobStore.Claim c = store.claimNext(List.of("pdf.validate"), T0.plusSeconds(5)).get()) {
      assertThat(c.jobId()).isEqualTo(high.id());
    }
    // A retry waits for its backoff: not claimable before it ends.
    low.markCommitted(1);
    low.lease(low.task("validate"), "w", "tok", T0.plusSeconds(30), T0);
    store.save(low);
    low.markCommitted(1);
    low.retry(
        low.task("validate"),
        dev.docmesh.proto.orchestrator.v1.JobError.newBuilder().setCode("UNKNOWN").build(),
        T0.plusSeconds(60));
    store.save(low);
    high.markCommitted(1);
    high.lease(high.task("validate"), "w", "tok", T0.plusSeconds(30), T0);
    store.save(high);
    List<String> validate = List.of("pdf.validate");
    assertThat(store.claimNext(validate, T0.plusSeconds(59))).isEmpty();
    try (JobStore.Claim c = store.claimNext(validate, T0.plusSeconds(60)).orElseThrow()) {
      assertThat(c.jobId()).isEqualTo(low.id());
      assertThat(c.version()).isEqualTo(3);
    }
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
