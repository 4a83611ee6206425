package dev.docmesh.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.docmesh.orchestrator.Ids;
import dev.docmesh.orchestrator.model.JobRecord;
import dev.docmesh.orchestrator.model.TaskRecord;
import dev.docmesh.orchestrator.pipeline.BuiltInPipelines;
import dev.docmesh.orchestrator.pipeline.PipelineValidator;
import dev.docmesh.proto.document.v1.DocumentRef;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link JobStore} and {@link BlobStore} contract, one suite for every backend: a subclass
 * opens a fresh, empty pair of stores ({@link SqliteStoreContractTest}, {@link
 * PostgresStoreContractTest}).
 */
abstract class JobStoreContract {
  static final Pipeline PDF = BuiltInPipelines.pdfStandard();
  static final Instant T0 = Instant.parse("2026-11-01T10:00:00Z");

  JobStore store;
  BlobStore blobs;

  /** A new, empty job store. */
  abstract JobStore openStore() throws Exception;

  /** A new, empty blob store beside it. */
  abstract BlobStore openBlobs() throws Exception;

  @BeforeEach
  void open() throws Exception {
    store = openStore();
    blobs = openBlobs();
  }

  @AfterEach
  void close() {
    store.close();
  }

  static final String DOC = "sha256:" + "ab".repeat(32);

  static JobRecord newJob(String requestId, Map<String, String> labels, Instant now) {
    return newJob("alice", requestId, labels, now);
  }

  static JobRecord newJob(String owner, String requestId, Map<String, String> labels, Instant now) {
    return newJob(owner, requestId, DOC, labels, now);
  }

  static JobRecord newJob(
      String owner, String requestId, String documentId, Map<String, String> labels, Instant now) {
    JobRecord job =
        new JobRecord(
            Ids.newJobId(now),
            PDF.getName(),
            PDF,
            PipelineValidator.validate(PDF, "pipeline", p -> true),
            DocumentRef.newBuilder().setId(documentId).setSizeBytes(10).build(),
            labels,
            0,
            requestId,
            now,
            "",
            "",
            "",
            owner);
    job.create(now);
    return job;
  }

  /** An encoded StageOutput, as the store keeps outputs. */
  static ByteString output(String text) {
    return StageOutput.newBuilder()
        .setText(
            dev.docmesh.proto.document.v1.DocumentText.newBuilder()
                .addPages(
                    dev.docmesh.proto.document.v1.PageText.newBuilder()
                        .setPageNumber(1)
                        .setText(text)))
        .build()
        .toByteString();
  }

  @Test
  void aJobReadsBackAsWrittenWithTasksEventsAndLabels() {
    JobRecord job = newJob("req-1", Map.of("team", "a"), T0);
    store.insert(job);
    job.markCommitted(1);
    TaskRecord validate = job.task("validate");
    job.lease(validate, "w1", "tok-1", T0.plusSeconds(30), T0);
    store.save(job);
    job.markCommitted(1);

    JobRecord back = store.load(job.id()).orElseThrow();
    assertThat(back.toProto()).isEqualTo(job.toProto());
    assertThat(back.task("validate").leaseToken()).isEqualTo("tok-1");
    assertThat(back.task("validate").leaseExpire()).isEqualTo(T0.plusSeconds(30));
    assertThat(back.task("validate").is(TaskState.TASK_STATE_LEASED)).isTrue();
    assertThat(back.labels()).isEqualTo(Map.of("team", "a"));
    assertThat(back.storeVersion()).isEqualTo(job.storeVersion()).isEqualTo(2);
    assertThat(back.owner()).isEqualTo("alice");
    assertThat(store.jobIdForRequest("alice", "req-1")).contains(job.id());
    assertThat(store.jobIdForRequest("alice", "req-other")).isEmpty();
    assertThat(store.load("job-unknown")).isEmpty();

    List<JobEvent> events = store.events(job.id(), 0, 100);
    assertThat(events)
        .extracting(JobEvent::getSequence)
        .containsExactly(
            java.util.stream.LongStream.rangeClosed(1, job.lastSequence())
                .boxed()
                .toArray(Long[]::new));
    assertThat(store.events(job.id(), 1, 2))
        .extracting(JobEvent::getSequence)
        .containsExactly(2L, 3L);
  }

  @Test
  void aSecondJobWithTheSameRequestIdIsRefusedNamingTheFirst() {
    JobRecord first = newJob("req-dup", Map.of(), T0);
    store.insert(first);
    JobRecord second = newJob("req-dup", Map.of(), T0);
    assertThatThrownBy(() -> store.insert(second))
        .isInstanceOfSatisfying(
            DuplicateRequestException.class,
            e -> assertThat(e.existingJobId()).isEqualTo(first.id()));
    assertThat(store.load(second.id())).isEmpty();
    assertThat(store.events(second.id(), 0, 10)).isEmpty();
    // Jobs without a request id never collide.
    store.insert(newJob("", Map.of(), T0));
    store.insert(newJob("", Map.of(), T0));
  }

  // ------------------------------------------------------------------ ownership (issue 14)

  @Test
  void requestIdsDeduplicatePerOwner() {
    JobRecord alices = newJob("alice", "req-same", Map.of(), T0);
    JobRecord bobs = newJob("bob", "req-same", Map.of(), T0);
    store.insert(alices);
    store.insert(bobs); // another principal's request id is not a duplicate
    assertThat(store.jobIdForRequest("alice", "req-same")).contains(alices.id());
    assertThat(store.jobIdForRequest("bob", "req-same")).contains(bobs.id());
    assertThat(store.jobIdForRequest("carol", "req-same")).isEmpty();
    assertThat(store.load(bobs.id()).orElseThrow().owner()).isEqualTo("bob");

    JobRecord bobsAgain = newJob("bob", "req-same", Map.of(), T0);
    assertThatThrownBy(() -> store.insert(bobsAgain))
        .isInstanceOfSatisfying(
            DuplicateRequestException.class,
            e -> assertThat(e.existingJobId()).isEqualTo(bobs.id()));
    assertThat(store.load(bobsAgain.id())).isEmpty();
  }

  @Test
  void listFiltersByOwner() {
    JobRecord a1 = newJob("alice", "", Map.of("team", "x"), T0);
    JobRecord b1 = newJob("bob", "", Map.of("team", "x"), T0.plusSeconds(1));
    JobRecord a2 = newJob("alice", "", Map.of(), T0.plusSeconds(2));
    for (JobRecord j : List.of(a1, b1, a2)) {
      store.insert(j);
    }
    assertThat(store.list(Set.of(), Map.of(), "", Optional.of("alice"), "", 10))
        .extracting(j -> j.getId())
        .containsExactly(a2.id(), a1.id());
    assertThat(store.list(Set.of(), Map.of(), "", Optional.of("alice"), "", 10))
        .extracting(j -> j.getOwner())
        .containsOnly("alice");
    assertThat(store.list(Set.of(), Map.of("team", "x"), "", Optional.of("bob"), "", 10))
        .extracting(j -> j.getId())
        .containsExactly(b1.id());
    assertThat(store.list(Set.of(), Map.of(), "", Optional.of("carol"), "", 10)).isEmpty();
    assertThat(store.list(Set.of(), Map.of(), "", Optional.empty(), "", 10)).hasSize(3);
    assertThat(store.list(Set.of(), Map.of(), "", Optional.of("alice"), a2.id(), 10))
        .extracting(j -> j.getId())
        .containsExactly(a1.id());
  }

  @Test
  void aDocumentMayBeUsedByItsUploadersAndByOwnersOfJobsUsingIt() {
    String uploaded = "sha256:" + "0a".repeat(32);
    store.touchDocument(uploaded, 3, T0);
    store.addUploader(uploaded, "alice");
    store.addUploader(uploaded, "alice"); // uploading the same bytes again
    store.addUploader(uploaded, "bob");
    assertThat(store.mayUseDocument(uploaded, "alice")).isTrue();
    assertThat(store.mayUseDocument(uploaded, "bob")).isTrue();
    assertThat(store.mayUseDocument(uploaded, "carol")).isFalse();

    String used = "sha256:" + "0b".repeat(32);
    store.insert(newJob("carol", "", used, Map.of(), T0));
    assertThat(store.mayUseDocument(used, "carol")).isTrue();
    assertThat(store.mayUseDocument(used, "alice")).isFalse();
    assertThat(store.mayUseDocument("sha256:" + "0c".repeat(32), "alice")).isFalse();
  }

  @Test
  void retentionForgetsTheUploadersOfTheDocumentsItDeletes() {
    Instant now = T0.plus(10, ChronoUnit.DAYS);
    String old = "sha256:" + "0d".repeat(32);
    String fresh = "sha256:" + "0e".repeat(32);
    store.touchDocument(old, 1, T0);
    store.addUploader(old, "alice");
    store.touchDocument(fresh, 1, now);
    store.addUploader(fresh, "alice");

    assertThat(store.expire(now.minus(1, ChronoUnit.DAYS))).containsExactly(old);

    assertThat(store.mayUseDocument(old, "alice")).isFalse();
    assertThat(store.mayUseDocument(fresh, "alice")).isTrue();
    // The same bytes uploaded again later are the uploader's again.
    store.touchDocument(old, 1, now);
    store.addUploader(old, "alice");
    assertThat(store.mayUseDocument(old, "alice")).isTrue();
  }

  @Test
  void aSaveOverAnOlderVersionIsRefusedAndWritesNothing() {
    JobRecord job = newJob("", Map.of(), T0);
    store.insert(job);
    JobRecord a = store.load(job.id()).orElseThrow();
    JobRecord b = store.load(job.id()).orElseThrow();
    a.lease(a.task("validate"), "wa", "tok-a", T0.plusSeconds(30), T0);
    store.save(a);
    a.markCommitted(1);
    b.lease(b.task("validate"), "wb", "tok-b", T0.plusSeconds(30), T0);
    assertThatThrownBy(() -> store.save(b)).isInstanceOf(StaleJobException.class);

    JobRecord stored = store.load(job.id()).orElseThrow();
    assertThat(stored.task("validate").leaseToken()).isEqualTo("tok-a");
    assertThat(store.events(job.id(), 0, 100)).hasSize((int) a.lastSequence());
  }

  @Test
  void aStageKeepsExactlyOneOutputAndARefusedChangeWritesNothing() {
    JobRecord job = newJob("", Map.of(), T0);
    store.insert(job);
    job.markCommitted(1);
    TaskRecord v = job.task("validate");
    job.lease(v, "w", "t1", T0.plusSeconds(30), T0);
    store.save(job);
    job.markCommitted(1);
    job.complete(v, output("first"), T0);
    store.save(job);
    job.markCommitted(1);
    assertThat(store.outputs(job.id())).containsOnlyKeys("validate");

    // A second output for the stage (with an event beside it) is refused, and the whole change with
    // it.
    long eventsBefore = store.events(job.id(), 0, 100).size();
    JobRecord again = store.load(job.id()).orElseThrow();
    again.uncommittedOutputs().put("validate", output("second"));
    again.lease(again.task("structure"), "w", "t2", T0.plusSeconds(30), T0);
    assertThatThrownBy(() -> store.save(again)).isInstanceOf(StoreException.class);
    assertThat(store.outputs(job.id()).get("validate")).isEqualTo(output("first"));
    assertThat(store.events(job.id(), 0, 100)).hasSize((int) eventsBefore);
    assertThat(store.load(job.id()).orElseThrow().storeVersion()).isEqualTo(job.storeVersion());
  }

  @Test
  void unfinishedJobsAreLoadedAndFinishedOnesAreNot() {
    JobRecord running = newJob("", Map.of(), T0);
    JobRecord cancelled = newJob("", Map.of(), T0);
    store.insert(running);
    store.insert(cancelled);
    cancelled.markCommitted(1);
    cancelled.cancel(
        dev.docmesh.proto.orchestrator.v1.JobError.newBuilder().setCode("CANCELLED").build(), T0);
    store.save(cancelled);
    assertThat(store.loadUnfinished()).extracting(JobRecord::id).containsExactly(running.id());
  }

  @Test
  void listFiltersByStateLabelsAndPipelineNewestFirstInPages() {
    JobRecord a = newJob("", Map.of("team", "a"), T0);
    JobRecord b = newJob("", Map.of("team", "b"), T0.plusSeconds(1));
    JobRecord c = newJob("", Map.of("team", "a"), T0.plusSeconds(2));
    for (JobRecord j : List.of(a, b, c)) {
      store.insert(j);
      j.markCommitted(1);
    }
    c.cancel(
        dev.docmesh.proto.orchestrator.v1.JobError.newBuilder().setCode("CANCELLED").build(), T0);
    store.save(c);

    assertThat(store.list(Set.of(), Map.of(), "", Optional.empty(), "", 10))
        .extracting(j -> j.getId())
        .containsExactly(c.id(), b.id(), a.id());
    assertThat(store.list(Set.of(), Map.of("team", "a"), "", Optional.empty(), "", 10))
        .extracting(j -> j.getId())
        .containsExactly(c.id(), a.id());
    assertThat(
            store.list(
                Set.of(JobState.JOB_STATE_CANCELLED), Map.of(), "", Optional.empty(), "", 10))
        .extracting(j -> j.getId())
        .containsExactly(c.id());
    assertThat(store.list(Set.of(), Map.of(), "no-such-pipeline", Optional.empty(), "", 10))
        .isEmpty();
    assertThat(store.list(Set.of(), Map.of(), PDF.getName(), Optional.empty(), "", 2))
        .extracting(j -> j.getId())
        .containsExactly(c.id(), b.id());
    assertThat(store.list(Set.of(), Map.of(), "", Optional.empty(), b.id(), 2))
        .extracting(j -> j.getId())
        .containsExactly(a.id());
  }

  @Test
  void retentionDeletesOldFinishedJobsAndUnusedDocumentsOnly() {
    Instant now = T0.plus(10, ChronoUnit.DAYS);
    JobRecord old = newJob("", Map.of(), T0);
    JobRecord live = newJob("", Map.of(), T0);
    store.insert(old);
    store.insert(live);
    old.markCommitted(1);
    old.cancel(
        dev.docmesh.proto.orchestrator.v1.JobError.newBuilder().setCode("CANCELLED").build(), T0);
    store.save(old);
    store.touchDocument("sha256:" + "01".repeat(32), 5, T0);
    store.touchDocument("sha256:" + "02".repeat(32), 6, now);
    assertThat(store.documentSize("sha256:" + "01".repeat(32))).contains(5L);

    List<String> gone = store.expire(now.minus(1, ChronoUnit.DAYS));

    assertThat(gone).containsExactly("sha256:" + "01".repeat(32));
    assertThat(store.load(old.id())).isEmpty();
    assertThat(store.events(old.id(), 0, 100)).isEmpty();
    assertThat(store.load(live.id())).isPresent();
    assertThat(store.documentSize("sha256:" + "01".repeat(32))).isEmpty();
    assertThat(store.documentSize("sha256:" + "02".repeat(32))).contains(6L);
  }

  @Test
  void everyWriteCountsAsACommit() {
    long before = store.lastCommit();
    store.insert(newJob("", Map.of(), T0));
    store.touchDocument("sha256:" + "03".repeat(32), 1, T0);
    assertThat(store.lastCommit()).isEqualTo(before + 2);
    store.sync();
  }

  // ------------------------------------------------------------------ documents

  @Test
  void aDocumentIsStoredOnceUnderItsDigestAndReadsBackAtAnyPosition() throws IOException {
    byte[] content = new byte[3 * 1024 * 1024 + 17];
    new Random(42).nextBytes(content);
    BlobStore.Stored first = blobs.put(content);
    BlobStore.Stored again = blobs.put(content);
    assertThat(first.alreadyStored()).isFalse();
    assertThat(again.alreadyStored()).isTrue();
    assertThat(again.documentId()).isEqualTo(first.documentId()).startsWith("sha256:");
    assertThat(first.sizeBytes()).isEqualTo(content.length);
    assertThat(blobs.exists(first.documentId())).isTrue();

    try (BlobStore.Reader r = blobs.open(first.documentId())) {
      assertThat(r.size()).isEqualTo(content.length);
      try (InputStream in = BlobStore.stream(r)) {
        assertThat(in.readAllBytes()).isEqualTo(content);
      }
      ByteBuffer mid = ByteBuffer.allocate(100);
      int n = r.read(mid, 1024 * 1024 - 50);
      assertThat(n).isPositive();
      assertThat(java.util.Arrays.copyOf(mid.array(), n))
          .isEqualTo(java.util.Arrays.copyOfRange(content, 1024 * 1024 - 50, 1024 * 1024 - 50 + n));
      assertThat(r.read(ByteBuffer.allocate(10), content.length)).isEqualTo(-1);
    }
    assertThat(blobs.head(first.documentId(), 4)).isEqualTo(java.util.Arrays.copyOf(content, 4));
  }

  @Test
  void anUnfinishedUploadLeavesNothingAndAnUnknownDocumentIsAbsent() throws IOException {
    String id;
    try (BlobStore.Upload u = blobs.begin()) {
      u.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
      id = u.digest();
    }
    assertThat(blobs.exists(id)).isFalse();
    assertThat(blobs.open(id)).isNull();
    assertThat(blobs.head(id, 4)).isNull();
  }

  @Test
  void anExpiredDocumentsBytesCanBeDeleted() throws IOException {
    BlobStore.Stored s = blobs.put(new byte[] {9, 8, 7});
    blobs.delete(s.documentId());
    assertThat(blobs.exists(s.documentId())).isFalse();
    assertThat(blobs.put(new byte[] {9, 8, 7}).alreadyStored()).isFalse();
  }
}
