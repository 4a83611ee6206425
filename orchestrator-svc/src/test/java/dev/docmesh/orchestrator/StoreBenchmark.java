package dev.docmesh.orchestrator;

import com.google.protobuf.util.Durations;
import dev.docmesh.orchestrator.store.TestPostgres;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskRequest;
import dev.docmesh.proto.orchestrator.v1.PollTaskRequest;
import dev.docmesh.proto.orchestrator.v1.PollTaskResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Figures for the issue note, not a test: SubmitJob latency and no-op Poll→Complete throughput on
 * SQLite, PostgreSQL with one replica, and PostgreSQL with two (clients and workers split over
 * both). Run with {@code mvn -pl orchestrator-svc verify -Dtest=StoreBenchmark
 * -Ddocmesh.bench=true}; {@code -Ddocmesh.bench.only=postgres-1,postgres-2,handoff} runs only
 * those.
 */
@EnabledIfSystemProperty(named = "docmesh.bench", matches = "true")
class StoreBenchmark {
  @TempDir Path data;

  /**
   * READY (the job's create_time) → a poll parked on replica A answered, for jobs submitted through
   * A itself or through B.
   */
  @org.junit.jupiter.api.Test
  void handOffLatencyAcrossReplicas() throws Exception {
    selected("handoff");
    Map<String, String> env = PostgresReplicasTest.postgres(TestPostgres.newDatabase());
    try (TestOrchestrator a =
            TestOrchestrator.start(Files.createDirectories(data.resolve("ha")), env);
        TestOrchestrator b =
            TestOrchestrator.start(Files.createDirectories(data.resolve("hb")), env)) {
      for (TestOrchestrator via : List.of(a, b)) {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
          java.util.concurrent.CompletableFuture<PollTaskResponse> polled =
              java.util.concurrent.CompletableFuture.supplyAsync(
                  () ->
                      a.queue.pollTask(
                          PollTaskRequest.newBuilder()
                              .setWorkerId("h")
                              .addProcessors("text.plain")
                              .setWait(Durations.fromSeconds(20))
                              .build()));
          Thread.sleep(5); // the poll reaches A and parks
          var job =
              via.client
                  .withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
                  .submitJob(DispatchBenchmark.job(i))
                  .getJob();
          PollTaskResponse r = polled.get();
          long answered = System.currentTimeMillis() * 1000;
          long ready =
              job.getCreateTime().getSeconds() * 1_000_000 + job.getCreateTime().getNanos() / 1000;
          a.queue.completeTask(
              CompleteTaskRequest.newBuilder()
                  .setTaskId(r.getTask().getTaskId())
                  .setLeaseToken(r.getTask().getLeaseToken())
                  .setWorkerId("h")
                  .setOutput(ScriptedWorker.outputFor("text.plain"))
                  .build());
          if (i >= 50) {
            ms.add((answered - ready) / 1000.0);
          }
        }
        Collections.sort(ms);
        System.out.printf(
            "BENCH hand-off READY -> poll parked on A answered, job submitted through %s (n=%d): p50=%.1f ms p99=%.1f ms%n",
            via == a ? "A" : "B",
            ms.size(),
            ms.get(ms.size() / 2),
            ms.get((int) (ms.size() * 0.99)));
      }
    }
  }

  private static void selected(String setup) {
    String only = System.getProperty("docmesh.bench.only", "");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        only.isEmpty() || List.of(only.split(",")).contains(setup), "not in docmesh.bench.only");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "sqlite-normal", "postgres-1", "postgres-2"})
  void submitLatencyAndNoOpThroughput(String setup) throws Exception {
    selected(setup);
    int replicas = setup.equals("postgres-2") ? 2 : 1;
    Map<String, String> env =
        new java.util.HashMap<>(Map.of("DOCMESH_MAX_PENDING_TASKS", "1000000"));
    if (setup.equals("sqlite-normal")) {
      env.put("DOCMESH_SQLITE_SYNCHRONOUS", "NORMAL");
    }
    if (setup.startsWith("postgres")) {
      env.putAll(PostgresReplicasTest.postgres(TestPostgres.newDatabase()));
    }
    List<TestOrchestrator> orchs = new ArrayList<>();
    for (int r = 0; r < replicas; r++) {
      orchs.add(TestOrchestrator.start(Files.createDirectories(data.resolve(setup + r)), env));
    }
    if (setup.startsWith("postgres")) {
      try (java.sql.Connection c =
              java.sql.DriverManager.getConnection(
                  env.get("DOCMESH_POSTGRES_URL"), TestPostgres.user(), TestPostgres.password());
          java.sql.ResultSet rs =
              c.createStatement()
                  .executeQuery(
                      "SELECT current_setting('synchronous_commit'), current_setting('fsync')")) {
        rs.next();
        System.out.printf(
            "BENCH %s: PostgreSQL synchronous_commit=%s fsync=%s%n",
            setup, rs.getString(1), rs.getString(2));
      }
    }
    try {
      // SubmitJob latency: one client, one call at a time (after 100 warm-up calls).
      List<Double> ms = new ArrayList<>();
      for (int i = 0; i < 600; i++) {
        TestOrchestrator o = orchs.get(i % replicas);
        long t0 = System.nanoTime();
        o.client
            .withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
            .submitJob(DispatchBenchmark.job(i));
        if (i >= 100) {
          ms.add((System.nanoTime() - t0) / 1e6);
        }
      }
      Collections.sort(ms);
      int jobs = 3000;
      int clients = 8;
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      CountDownLatch submitted = new CountDownLatch(jobs);
      AtomicInteger next = new AtomicInteger();
      long s0 = System.nanoTime();
      for (int c = 0; c < clients; c++) {
        TestOrchestrator o = orchs.get(c % replicas);
        pool.submit(
            () -> {
              while (next.getAndIncrement() < jobs) {
                o.client
                    .withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
                    .submitJob(DispatchBenchmark.job(1));
                submitted.countDown();
              }
              return null;
            });
      }
      submitted.await();
      double submitSecs = (System.nanoTime() - s0) / 1e9;
      int total = jobs + 600;
      AtomicInteger done = new AtomicInteger();
      CountDownLatch finished = new CountDownLatch(clients);
      long t0 = System.nanoTime();
      for (int w = 0; w < clients; w++) {
        TestOrchestrator o = orchs.get(w % replicas);
        String id = "noop-" + w;
        pool.submit(
            () -> {
              try {
                while (done.get() < total && System.nanoTime() - t0 < 300_000_000_000L) {
                  PollTaskResponse r =
                      o.queue.pollTask(
                          PollTaskRequest.newBuilder()
                              .setWorkerId(id)
                              .addProcessors("text.plain")
                              .setWait(Durations.fromMillis(200))
                              .build());
                  if (!r.hasTask()) {
                    continue;
                  }
                  o.queue.completeTask(
                      CompleteTaskRequest.newBuilder()
                          .setTaskId(r.getTask().getTaskId())
                          .setLeaseToken(r.getTask().getLeaseToken())
                          .setWorkerId(id)
                          .setOutput(ScriptedWorker.outputFor("text.plain"))
                          .build());
                  done.incrementAndGet();
                }
              } finally {
                finished.countDown();
              }
              return null;
            });
      }
      finished.await();
      double secs = (System.nanoTime() - t0) / 1e9;
      pool.shutdownNow();
      System.out.printf(
          "BENCH %s: SubmitJob latency (1 client, n=%d) p50=%.2f ms p99=%.2f ms; submit throughput (%d clients) %.0f jobs/s;"
              + " poll+complete (%d no-op workers) %d tasks in %.2f s = %.0f tasks/s; load average %.1f%n",
          setup,
          ms.size(),
          ms.get(ms.size() / 2),
          ms.get((int) (ms.size() * 0.99)),
          clients,
          jobs / submitSecs,
          clients,
          done.get(),
          secs,
          done.get() / secs,
          java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    } finally {
      orchs.forEach(TestOrchestrator::close);
    }
  }
}
