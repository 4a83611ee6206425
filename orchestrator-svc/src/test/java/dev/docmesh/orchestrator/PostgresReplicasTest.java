package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.Durations;
import dev.docmesh.orchestrator.store.TestPostgres;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.ListJobsRequest;
import dev.docmesh.proto.orchestrator.v1.PollTaskRequest;
import dev.docmesh.proto.orchestrator.v1.PollTaskResponse;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two orchestrators (two servers on their own ports) on one PostgreSQL database, as two replicas.
 */
class PostgresReplicasTest {
  @TempDir Path dir;
  TestOrchestrator a;
  TestOrchestrator b;

  static Map<String, String> postgres(String url) {
    Map<String, String> env = new HashMap<>();
    env.put("DOCMESH_STORE", "postgres");
    env.put("DOCMESH_POSTGRES_URL", url);
    env.put("DOCMESH_POSTGRES_USER", TestPostgres.user());
    env.put("DOCMESH_POSTGRES_PASSWORD", TestPostgres.password());
    env.put("DOCMESH_POSTGRES_POOL_SIZE", "4");
    return env;
  }

  String url;

  @BeforeEach
  void start() throws Exception {
    url = TestPostgres.newDatabase();
    a = TestOrchestrator.start(Files.createDirectories(dir.resolve("a")), postgres(url));
    b = TestOrchestrator.start(Files.createDirectories(dir.resolve("b")), postgres(url));
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
  }

  static SubmitJobRequest pdf(String requestId) {
    return SubmitJobRequest.newBuilder()
        .setContent(ByteString.copyFrom(TestOrchestrator.PDF))
        .setFilename("t.pdf")
        .setRequestId(requestId)
        .build();
  }

  @Test
  void aWorkerParkedOnOneReplicaReceivesATaskSubmittedThroughTheOther() throws Exception {
    CompletableFuture<PollTaskResponse> polled =
        CompletableFuture.supplyAsync(
            () ->
                a.queue
                    .withDeadlineAfter(120, TimeUnit.SECONDS)
                    .pollTask(
                        PollTaskRequest.newBuilder()
                            .setWorkerId("w-a")
                            .addProcessors("pdf.validate")
                            .setWait(Durations.fromSeconds(60))
                            .build()));
    // The poll is parked on A once A lists the worker.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                !polled.isDone()
                    && a.client
                            .listWorkers(
                                dev.docmesh.proto.orchestrator.v1.ListWorkersRequest
                                    .getDefaultInstance())
                            .getWorkersCount()
                        == 1);

    long t0 = System.nanoTime();
    Job job = b.submit(pdf(""));
    // Answered long before the 60 s wait ends: by the notification, not a timeout or a re-poll.
    PollTaskResponse r = polled.get(30, TimeUnit.SECONDS);
    double ms = (System.nanoTime() - t0) / 1e6;
    System.out.printf("replica hand-off: submit on B -> poll on A answered after %.1f ms%n", ms);

    assertThat(r.hasTask()).isTrue();
    assertThat(r.getTask().getJobId()).isEqualTo(job.getId());
    assertThat(r.getTask().getStage()).isEqualTo("validate");
    // The document is reachable through A too (blobs live in the database).
    assertThat(DocumentFetch.fetch(a.queue, r.getTask().getDocument().getId(), 16))
        .isEqualTo(TestOrchestrator.PDF);
  }

  @Test
  void aWatcherOnOneReplicaSeesEveryEventCommittedThroughTheOtherInOrder() throws Exception {
    Job job = b.submit(pdf(""));
    EventCollector onA = new EventCollector();
    a.asyncClient.watchJob(WatchJobRequest.newBuilder().setJobId(job.getId()).build(), onA);

    ScriptedWorker worker = b.worker("w-b");
    for (int done = 0; done < 5; ) {
      Task t = worker.poll();
      if (t != null) {
        worker.heartbeat(
            t, dev.docmesh.proto.document.v1.Progress.newBuilder().setDone(1).setTotal(2).build());
        worker.complete(t);
        done++;
      }
    }
    assertThat(onA.awaitDone()).isTrue();
    assertThat(onA.error).isNull();

    List<JobEvent> seen = onA.events;
    assertThat(seen)
        .extracting(JobEvent::getSequence)
        .containsExactly(
            java.util.stream.LongStream.rangeClosed(1, seen.size()).boxed().toArray(Long[]::new));
    EventCollector fromB = new EventCollector();
    b.asyncClient.watchJob(WatchJobRequest.newBuilder().setJobId(job.getId()).build(), fromB);
    assertThat(fromB.awaitDone()).isTrue();
    assertThat(seen).isEqualTo(fromB.events);
    assertThat(
            a.client
                .getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build())
                .getJob()
                .getState())
        .isEqualTo(JobState.JOB_STATE_SUCCEEDED);
  }

  @Test
  void workersPollingBothReplicasAtOnceLeaseEachTaskOncePerAttempt() throws Exception {
    List<String> jobIds = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      jobIds.add((i % 2 == 0 ? a : b).submit(pdf("")).getId());
    }
    Map<String, java.util.concurrent.atomic.AtomicInteger> leases =
        new java.util.concurrent.ConcurrentHashMap<>();
    java.util.concurrent.atomic.AtomicInteger completed =
        new java.util.concurrent.atomic.AtomicInteger();
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    int tasks = jobIds.size() * ScriptedWorker.PDF_PROCESSORS.size();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    // set before the pool is interrupted: a poll cut off by that interrupt is not a failure
    java.util.concurrent.atomic.AtomicBoolean over =
        new java.util.concurrent.atomic.AtomicBoolean();
    try {
      for (int w = 0; w < 8; w++) {
        TestOrchestrator via = w % 2 == 0 ? a : b;
        String id = "w-" + w;
        pool.submit(
            () -> {
              while (completed.get() < tasks && failures.isEmpty()) {
                try {
                  PollTaskResponse r =
                      via.queue
                          .withDeadlineAfter(30, TimeUnit.SECONDS)
                          .pollTask(
                              PollTaskRequest.newBuilder()
                                  .setWorkerId(id)
                                  .addAllProcessors(ScriptedWorker.PDF_PROCESSORS)
                                  .setWait(Durations.fromMillis(300))
                                  .build());
                  if (!r.hasTask()) {
                    continue;
                  }
                  Task t = r.getTask();
                  leases
                      .computeIfAbsent(
                          t.getTaskId() + "#" + t.getAttempt(),
                          k -> new java.util.concurrent.atomic.AtomicInteger())
                      .incrementAndGet();
                  // A task leased twice would make one of these LEASE_STALE.
                  via.queue
                      .withDeadlineAfter(30, TimeUnit.SECONDS)
                      .completeTask(
                          dev.docmesh.proto.orchestrator.v1.CompleteTaskRequest.newBuilder()
                              .setTaskId(t.getTaskId())
                              .setLeaseToken(t.getLeaseToken())
                              .setWorkerId(id)
                              .setOutput(ScriptedWorker.outputFor(t.getProcessor()))
                              .build());
                  completed.incrementAndGet();
                } catch (RuntimeException e) {
                  if (!over.get()) {
                    failures.add(e);
                  }
                }
              }
              return null;
            });
      }
      await()
          .atMost(Duration.ofSeconds(180))
          .until(() -> completed.get() >= tasks || !failures.isEmpty());
    } finally {
      over.set(true);
      pool.shutdownNow();
    }
    assertThat(failures).isEmpty();
    assertThat(completed.get()).isEqualTo(tasks);
    assertThat(leases).hasSize(tasks).allSatisfy((task, n) -> assertThat(n.get()).isEqualTo(1));
    for (String id : jobIds) {
      EventCollector events = new EventCollector();
      (id.hashCode() % 2 == 0 ? a : b)
          .asyncClient.watchJob(WatchJobRequest.newBuilder().setJobId(id).build(), events);
      assertThat(events.awaitDone()).isTrue();
      Map<String, Long> leased = new HashMap<>();
      for (JobEvent e : events.events) {
        if (e.hasTaskStateChanged()
            && e.getTaskStateChanged().getTo()
                == dev.docmesh.proto.orchestrator.v1.TaskState.TASK_STATE_LEASED) {
          leased.merge(
              e.getTaskStateChanged().getStage() + "#" + e.getTaskStateChanged().getAttempt(),
              1L,
              Long::sum);
        }
      }
      assertThat(leased)
          .as("job %s", id)
          .hasSize(5)
          .allSatisfy((k, n) -> assertThat(n).isEqualTo(1L));
    }
  }

  private int update(String sql, String jobId) throws Exception {
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection(
                url, TestPostgres.user(), TestPostgres.password());
        java.sql.PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, jobId);
      return ps.executeUpdate();
    }
  }

  private boolean indexedReady(String jobId) throws Exception {
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection(
                url, TestPostgres.user(), TestPostgres.password());
        java.sql.PreparedStatement ps =
            c.prepareStatement("SELECT ready FROM tasks WHERE job_id = ? AND stage = 'validate'")) {
      ps.setString(1, jobId);
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /**
   * The claim index ({@code tasks.ready}) is not the truth, the job row is: a READY task the index
   * lacks (as a replica older than the claims writes it, during a rolling update) still reaches a
   * poll, and an index row that says READY for a leased task is rewritten by the replica that
   * claims it.
   */
  @Test
  void completionsLeasingTheNextTaskAlternateReplicasAndLeaseEachTaskOnce() throws Exception {
    Job job = a.submit(pdf("lease-next"));
    ScriptedWorker onA = a.worker("w");
    ScriptedWorker onB = b.worker("w");
    Task t = onB.poll(Duration.ofSeconds(5), ScriptedWorker.PDF_PROCESSORS);
    List<String> stages = new ArrayList<>();
    List<String> tokens = new ArrayList<>();
    JobState last = JobState.JOB_STATE_UNSPECIFIED;
    for (int i = 0; t != null; i++) {
      stages.add(t.getStage());
      tokens.add(t.getLeaseToken());
      // each completion on the replica that did not lease the task: it must catch up first
      var r = (i % 2 == 0 ? onA : onB).completeAndLeaseNext(t, ScriptedWorker.PDF_PROCESSORS);
      last = r.getJobState();
      t = r.hasNextTask() ? r.getNextTask() : null;
    }
    assertThat(stages)
        .containsExactlyInAnyOrder("validate", "metadata", "text", "structure", "relationships");
    assertThat(Set.copyOf(tokens)).hasSize(5);
    assertThat(last).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    for (TestOrchestrator o : List.of(a, b)) {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  o.client
                          .getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build())
                          .getJob()
                          .getState()
                      == JobState.JOB_STATE_SUCCEEDED);
    }
  }

  @Test
  void theJobRowNotTheClaimIndexDecidesWhatIsLeased() throws Exception {
    Job job = a.submit(pdf(""));
    assertThat(update("UPDATE tasks SET ready = false WHERE job_id = ?", job.getId())).isEqualTo(5);
    Task t = a.worker("w-a").poll(Duration.ofSeconds(5), List.of("pdf.validate"));
    assertThat(t).isNotNull();
    assertThat(t.getJobId()).isEqualTo(job.getId());
    assertThat(t.getStage()).isEqualTo("validate");

    assertThat(
            update(
                "UPDATE tasks SET ready = true WHERE job_id = ? AND stage = 'validate'",
                job.getId()))
        .isEqualTo(1);
    assertThat(b.worker("w-b").poll(Duration.ofSeconds(1), List.of("pdf.validate"))).isNull();
    assertThat(indexedReady(job.getId())).as("the index row rewritten from the job").isFalse();
    a.worker("w-a").complete(t); // the lease survived the repair
  }

  @Test
  void concurrentDuplicateSubmitsAcrossBothReplicasMakeOneJob() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<String>> ids = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        TestOrchestrator via = i % 2 == 0 ? a : b;
        ids.add(pool.submit(() -> via.submit(pdf("same-request")).getId()));
      }
      Set<String> distinct = new java.util.HashSet<>();
      for (Future<String> f : ids) {
        distinct.add(f.get(60, TimeUnit.SECONDS));
      }
      assertThat(distinct).hasSize(1);
      assertThat(
              a.client
                  .listJobs(ListJobsRequest.newBuilder().setPageSize(100).build())
                  .getJobsList())
          .hasSize(1);
    } finally {
      pool.shutdownNow();
    }
  }
}
