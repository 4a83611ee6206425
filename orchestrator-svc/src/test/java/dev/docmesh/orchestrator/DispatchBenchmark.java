package dev.docmesh.orchestrator;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.Durations;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.PollTaskRequest;
import dev.docmesh.proto.orchestrator.v1.PollTaskResponse;
import dev.docmesh.proto.orchestrator.v1.Stage;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Figures for the issue note, not a test: run with {@code mvn -pl orchestrator-svc verify
 * -Dtest=DispatchBenchmark -Ddocmesh.bench=true}.
 */
@EnabledIfSystemProperty(named = "docmesh.bench", matches = "true")
class DispatchBenchmark {
  static final Pipeline ONE_STAGE =
      Pipeline.newBuilder()
          .setName("bench")
          .addStages(Stage.newBuilder().setName("only").setProcessor("text.plain"))
          .build();

  @TempDir Path data;

  static SubmitJobRequest job(int i) {
    return SubmitJobRequest.newBuilder()
        .setContent(ByteString.copyFromUtf8("doc " + (i % 10)))
        .setInlinePipeline(ONE_STAGE)
        .build();
  }

  /**
   * READY (the job's create_time: roots become READY in the submit's commit) → the idle poller
   * holds the task.
   */
  @ParameterizedTest
  @ValueSource(strings = {"FULL", "NORMAL"})
  void dispatchLatencyWithIdlePollers(String sync) throws Exception {
    int pollers = 4;
    int rounds = 600;
    try (TestOrchestrator orch =
        TestOrchestrator.start(data.resolve(sync), Map.of("DOCMESH_SQLITE_SYNCHRONOUS", sync))) {
      BlockingQueue<Instant> received = new ArrayBlockingQueue<>(rounds * 2);
      BlockingQueue<PollTaskResponse> tasks = new ArrayBlockingQueue<>(rounds * 2);
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService pool = Executors.newFixedThreadPool(pollers);
      AtomicInteger parked = new AtomicInteger();
      for (int p = 0; p < pollers; p++) {
        String id = "bench-" + p;
        pool.submit(
            () -> {
              while (!stop.get()) {
                parked.incrementAndGet();
                PollTaskResponse r =
                    orch.queue
                        .withDeadlineAfter(60, TimeUnit.SECONDS)
                        .pollTask(
                            PollTaskRequest.newBuilder()
                                .setWorkerId(id)
                                .addProcessors("text.plain")
                                .setWait(Durations.fromSeconds(20))
                                .build());
                Instant at = Instant.now();
                parked.decrementAndGet();
                if (r.hasTask()) {
                  received.add(at);
                  tasks.add(r);
                }
              }
              return null;
            });
      }
      List<Double> micros = new ArrayList<>();
      for (int i = 0; i < rounds; i++) {
        while (parked.get() < pollers) {
          Thread.onSpinWait(); // every poller is parked on the server again before the next task
          // becomes READY
        }
        Thread.sleep(1); // let the last re-poll reach the server's waiting list
        Job j = orch.client.submitJob(job(i)).getJob();
        Instant got = received.take();
        PollTaskResponse r = tasks.take();
        orch.queue.completeTask(
            CompleteTaskRequest.newBuilder()
                .setTaskId(r.getTask().getTaskId())
                .setLeaseToken(r.getTask().getLeaseToken())
                .setWorkerId("x")
                .setOutput(ScriptedWorker.outputFor("text.plain"))
                .build());
        Instant ready =
            Instant.ofEpochSecond(j.getCreateTime().getSeconds(), j.getCreateTime().getNanos());
        if (i >= 100) {
          micros.add(java.time.Duration.between(ready, got).toNanos() / 1000.0);
        }
      }
      stop.set(true);
      pool.shutdownNow();
      Collections.sort(micros);
      System.out.printf(
          "BENCH dispatch latency READY->poll answered (sync=%s, %d idle pollers, n=%d): p50=%.2f ms p99=%.2f ms max=%.2f ms%n",
          sync,
          pollers,
          micros.size(),
          micros.get(micros.size() / 2) / 1000,
          micros.get((int) (micros.size() * 0.99)) / 1000,
          micros.get(micros.size() - 1) / 1000);
    }
  }

  /** Tasks through Poll + Complete by no-op workers over loopback, from a pre-filled queue. */
  @ParameterizedTest
  @ValueSource(strings = {"FULL", "NORMAL"})
  void pollCompleteThroughput(String sync) throws Exception {
    int jobs = 3000;
    int workers = 8;
    try (TestOrchestrator orch =
        TestOrchestrator.start(
            data.resolve("t" + sync),
            Map.of("DOCMESH_SQLITE_SYNCHRONOUS", sync, "DOCMESH_MAX_PENDING_TASKS", "1000000"))) {
      long s0 = System.nanoTime();
      ExecutorService pool = Executors.newFixedThreadPool(workers);
      CountDownLatch submitted = new CountDownLatch(jobs);
      AtomicInteger next = new AtomicInteger();
      for (int w = 0; w < workers; w++) {
        pool.submit(
            () -> {
              int i;
              while ((i = next.getAndIncrement()) < jobs) {
                orch.client.submitJob(job(i));
                submitted.countDown();
              }
              return null;
            });
      }
      submitted.await();
      double submitSecs = (System.nanoTime() - s0) / 1e9;
      AtomicInteger done = new AtomicInteger();
      CountDownLatch finished = new CountDownLatch(workers);
      long cpu0 = processCpuNanos();
      long t0 = System.nanoTime();
      for (int w = 0; w < workers; w++) {
        String id = "noop-" + w;
        pool.submit(
            () -> {
              try {
                while (true) {
                  PollTaskResponse r =
                      orch.queue.pollTask(
                          PollTaskRequest.newBuilder()
                              .setWorkerId(id)
                              .addProcessors("text.plain")
                              .setWait(Durations.fromMillis(200))
                              .build());
                  if (!r.hasTask()) {
                    return null;
                  }
                  orch.queue.completeTask(
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
            });
      }
      finished.await();
      double secs = (System.nanoTime() - t0) / 1e9 - 0.2; // the last empty poll waited 200 ms
      double cpuMicrosPerTask = (processCpuNanos() - cpu0) / 1e3 / done.get();
      pool.shutdownNow();
      System.out.printf(
          "BENCH submit (sync=%s, %d clients): %d jobs in %.2f s = %.0f jobs/s%n",
          sync, workers, jobs, submitSecs, jobs / submitSecs);
      System.out.printf(
          "BENCH poll+complete (sync=%s, %d no-op workers): %d tasks in %.2f s = %.0f tasks/s;"
              + " CPU (client and server, one JVM) %.0f us/task%n",
          sync, workers, done.get(), secs, done.get() / secs, cpuMicrosPerTask);
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}
