package dev.docmesh.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.Timestamps;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import dev.docmesh.proto.orchestrator.v1.WatchJobsRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobsResponse;
import dev.docmesh.proto.worker.v1.ActiveTask;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The failure-simulation suite (issue 15): each scenario starts orchestrator, processor and worker
 * as separate JVMs from their runnable jars, drives corpus jobs with idempotent submits, injects
 * one kind of fault, and then checks the invariants. Red on any broken invariant; the summary table
 * is printed at the end and written to target/chaos/summary.txt. Run it with .ci/chaos.sh (or mvn
 * -Pchaos); plain mvn verify skips it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChaosSuiteTest {
  private static final Summary summary = new Summary();
  private static Path out;

  /** Jobs a second the mesh finished in the baseline: the yardstick of the overload scenario. */
  private static double capacity = 0;

  @BeforeAll
  static void setUp() throws IOException {
    out = Path.of(System.getProperty("docmesh.chaos.out", "target/chaos")).toAbsolutePath();
    Files.createDirectories(out);
  }

  @AfterAll
  static void printSummary() {
    String table = summary.render();
    System.out.println(
        "\n===== chaos summary (lease " + Mesh.LEASE.toSeconds() + " s) =====\n" + table);
    summary.write(out.resolve("summary.txt"));
  }

  // ------------------------------------------------------------------ scenarios

  @Test
  @Order(1)
  void baseline() {
    scenario(
        "baseline",
        Mesh.Options.plain(),
        s -> {
          List<JobDriver.Doc> docs = new ArrayList<>(JobDriver.good());
          docs.addAll(JobDriver.good());
          s.driver.submitAsync(docs, 4);
        },
        s -> {
          long first =
              s.inv.histories.values().stream()
                  .mapToLong(h -> Timestamps.toMillis(h.job().getCreateTime()))
                  .min()
                  .orElse(0);
          long last =
              s.inv.histories.values().stream()
                  .mapToLong(h -> Timestamps.toMillis(h.job().getEndTime()))
                  .max()
                  .orElse(0);
          capacity = s.row.succeeded / Math.max(0.001, (last - first) / 1000.0);
          s.row.notes.add(
              String.format(
                  "throughput %.2f jobs/s (%d jobs offered at once, first submit -> last end, cold JVMs)",
                  capacity, s.row.succeeded));
          double stale = s.staleHeartbeats;
          if (stale > 0) {
            s.row.violations.add(
                stale
                    + " Heartbeats answered FAILED_PRECONDITION in a fault-free run (beat after the result)");
          }
        });
  }

  @Test
  @Order(2)
  void kill9Orchestrator() {
    scenario(
        "kill9-orchestrator",
        Mesh.Options.plain(),
        s -> {
          s.driver.submitAsync(s.longDocs(), 2);
          s.awaitWorkerBusy();
          s.fault("kill -9", () -> s.mesh.orchestrator.kill9());
          s.mesh.orchestrator.startServing();
        },
        s -> {});
  }

  @Test
  @Order(3)
  void kill9Worker() {
    scenario(
        "kill9-worker",
        Mesh.Options.plain(),
        s -> {
          s.driver.submitAsync(s.longDocs(), 2);
          s.awaitWorkerBusy();
          s.fault("kill -9", () -> s.mesh.worker.kill9());
          s.mesh.worker.startServing();
        },
        s -> {});
  }

  @Test
  @Order(4)
  void kill9Processor() {
    scenario(
        "kill9-processor",
        Mesh.Options.plain(),
        s -> {
          s.driver.submitAsync(s.longDocs(), 2);
          s.awaitProcessorBusy();
          s.fault("kill -9", () -> s.mesh.processor.kill9());
          s.mesh.processor.startServing();
        },
        s -> {});
  }

  @Test
  @Order(5)
  void sigtermOrchestrator() {
    scenario(
        "sigterm-orchestrator",
        Mesh.Options.plain(),
        s -> {
          s.driver.submitAsync(s.longDocs(), 2);
          s.awaitWorkerBusy();
          s.held = s.mesh.workerStatus().getActiveTasksList();
          s.fault(
              "SIGTERM",
              () ->
                  s.exitCode(
                      "orchestrator", s.mesh.orchestrator.terminate(Duration.ofSeconds(40))));
          s.mesh.orchestrator.startServing();
        },
        Scenario::checkDrain);
  }

  @Test
  @Order(6)
  void sigtermWorker() {
    scenario(
        "sigterm-worker",
        Mesh.Options.plain(),
        s -> {
          s.driver.submitAsync(s.longDocs(), 2);
          s.awaitWorkerBusy();
          s.held = s.mesh.workerStatus().getActiveTasksList();
          s.fault(
              "SIGTERM",
              () -> s.exitCode("worker", s.mesh.worker.terminate(Duration.ofSeconds(40))));
          s.mesh.worker.startServing();
        },
        Scenario::checkDrain);
  }

  @Test
  @Order(7)
  void sigtermProcessor() {
    scenario(
        "sigterm-processor",
        Mesh.Options.plain(),
        s -> {
          s.driver.submitAsync(s.longDocs(), 2);
          s.awaitProcessorBusy();
          s.held = s.mesh.workerStatus().getActiveTasksList();
          s.fault(
              "SIGTERM",
              () -> s.exitCode("processor", s.mesh.processor.terminate(Duration.ofSeconds(40))));
          s.mesh.processor.startServing();
        },
        Scenario::checkDrain);
  }

  @Test
  @Order(8)
  void networkLatencyAndResets() {
    scenario(
        "net-latency+resets",
        Mesh.Options.plain().withProxies(),
        s -> {
          s.driver.submitAsync(s.longDocs(), 2);
          s.awaitWorkerBusy();
          s.fault(
              "+150ms",
              () -> {
                s.mesh.toOrchestrator.latency(150);
                s.mesh.toProcessor.latency(150);
              });
          hold(Duration.ofSeconds(4));
          s.mesh.toOrchestrator.latency(0);
          s.mesh.toProcessor.latency(0);
          s.awaitWorkerBusy();
          s.fault(
              "reset",
              () -> {
                s.mesh.toOrchestrator.resetAll();
                s.mesh.toProcessor.resetAll();
              });
          s.awaitWorkerBusy();
          s.fault(
              "reset",
              () -> {
                s.mesh.toOrchestrator.resetAll();
                s.mesh.toProcessor.resetAll();
              });
        },
        s ->
            s.row.notes.add(
                "proxy connections: worker->orchestrator "
                    + s.mesh.toOrchestrator.connections()
                    + ", worker->processor "
                    + s.mesh.toProcessor.connections()));
  }

  @Test
  @Order(9)
  void blackholeWorkerToOrchestrator() {
    scenario(
        "blackhole-w->orch",
        Mesh.Options.plain().withProxies(),
        s -> {
          s.driver.submitAsync(s.longDocs(), 2);
          s.awaitWorkerBusy();
          s.fault("blackhole", () -> s.mesh.toOrchestrator.blackhole(true));
          hold(Mesh.LEASE.plusSeconds(3));
          s.fault("lifted", () -> s.mesh.toOrchestrator.blackhole(false));
        },
        s -> {});
  }

  @Test
  @Order(10)
  void blackholeWorkerToProcessor() {
    scenario(
        "blackhole-w->proc",
        Mesh.Options.plain().withProxies(),
        s -> {
          s.driver.submitAsync(s.longDocs(), 2);
          s.awaitProcessorBusy();
          s.fault("blackhole", () -> s.mesh.toProcessor.blackhole(true));
          hold(Mesh.LEASE.plusSeconds(3));
          s.fault("lifted", () -> s.mesh.toProcessor.blackhole(false));
        },
        s -> {});
  }

  @Test
  @Order(11)
  void fullDisk() throws Exception {
    Path dir = out.resolve("disk-full");
    Path data = dir.resolve("orchestrator-data");
    Files.createDirectories(data);
    boolean mounted = tmpfs(data, "48m");
    try {
      scenario(
          "disk-full",
          Mesh.Options.plain().dataDir(data),
          s -> {
            List<JobDriver.Doc> docs = new ArrayList<>(JobDriver.good());
            docs.addAll(JobDriver.good());
            if (!mounted) {
              s.row.violations.add(
                  "mount -t tmpfs refused (not root?): the full-disk scenario needs it");
              return;
            }
            s.row.notes.add(
                "orchestrator data dir on a 48 MiB tmpfs, filled to ENOSPC by a filler file, then freed");
            // documents stored first, so that submits during the fault reach the job store (an
            // inline one is probed apart)
            s.driver.upload(JobDriver.good());
            s.driver.submitAtRate(
                docs,
                docs.size(),
                Duration.ofMillis(300)); // still submitting while the disk is full
            Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .until(() -> s.driver.acknowledged.size() >= 3);
            s.awaitWorkerBusy();
            Path filler = data.resolve("filler");
            s.fault("disk full", () -> fill(filler));
            int before = s.errorCount();
            Awaitility.await("a submit refused while the disk is full")
                .atMost(Duration.ofSeconds(30))
                .until(() -> s.errorCount() > before);
            // one inline submit of new bytes (a blob write), not retried: its answer is the point
            byte[] fresh =
                JobDriver.load("minimal-document.pdf")
                    .bytes()
                    .concat(
                        com.google.protobuf.ByteString.copyFromUtf8(
                            "\n% disk-full probe " + System.nanoTime() + "\n"))
                    .toByteArray();
            try {
              var r =
                  s.mesh
                      .orchestrator()
                      .withDeadlineAfter(15, TimeUnit.SECONDS)
                      .submitJob(
                          dev.docmesh.proto.orchestrator.v1.SubmitJobRequest.newBuilder()
                              .setFilename("probe.pdf")
                              .setMediaType("application/pdf")
                              .setRequestId("disk-full-inline-probe")
                              .setContent(com.google.protobuf.ByteString.copyFrom(fresh))
                              .build());
              s.row.notes.add(
                  "inline submit accepted while the disk was full (acknowledged, checked too)");
              s.driver.acknowledged.add(r.getJob().getId());
            } catch (io.grpc.StatusRuntimeException e) {
              String key = e.getStatus().getCode() + " [" + JobDriver.reason(e) + "]";
              s.row.notes.add("inline submit (blob write) answered " + key);
              if (!key.equals("UNAVAILABLE [STORE_FULL]") || JobDriver.retryInfo(e) == null) {
                s.row.violations.add(
                    "inline submit on a full disk: "
                        + key
                        + " "
                        + e.getStatus().getDescription()
                        + " (expected UNAVAILABLE, ErrorInfo STORE_FULL, RetryInfo)");
              }
            }
            hold(Duration.ofSeconds(3));
            assertThat(s.mesh.orchestrator.isAlive())
                .as("orchestrator survives a full disk")
                .isTrue();
            s.fault("space back", () -> delete(filler));
          },
          s -> {
            s.driver.errors.forEach(
                (k, v) -> s.row.notes.add("submit by document_id answered " + k + " (x" + v + ")"));
            // a full disk is one typed, retryable answer on every path: UNAVAILABLE with ErrorInfo
            // STORE_FULL
            // (the driver retries it with the same request_id; transient UNAVAILABLE/DEADLINE
            // without a reason may mix in)
            if (s.driver.errors.keySet().stream()
                .noneMatch(k -> k.startsWith("UNAVAILABLE [STORE_FULL]"))) {
              s.row.violations.add(
                  "no submit answered UNAVAILABLE [STORE_FULL] while the disk was full");
            }
            s.driver.errors.keySet().stream()
                .filter(k -> !k.startsWith("UNAVAILABLE") && !k.startsWith("DEADLINE_EXCEEDED"))
                .forEach(
                    k ->
                        s.row.violations.add(
                            "submit on a full disk answered "
                                + k
                                + " (expected UNAVAILABLE [STORE_FULL])"));
          });
    } finally {
      if (mounted) {
        try (var files = Files.list(data)) {
          for (Path f :
              files
                  .filter(f -> f.getFileName().toString().startsWith("orchestrator.db"))
                  .toList()) {
            Files.copy(
                f, dir.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          }
        }
        new ProcessBuilder("umount", "-l", data.toString()).inheritIO().start().waitFor();
      }
    }
  }

  /**
   * The firehose limit of the slow-watchers scenario: the stopped reader passes it once its
   * transport window is full.
   */
  static final int WATCH_MAX_QUEUED = 50;

  @Test
  @Order(12)
  void slowAndStoppedWatchers() {
    scenario(
        "slow-watchers",
        Mesh.Options.plain()
            .orchestratorEnv(Map.of("DOCMESH_WATCH_MAX_QUEUED", "" + WATCH_MAX_QUEUED)),
        s -> {
          Watchers w = new Watchers(s);
          w.stopEnded = true;
          s.attachment = w;
          List<JobDriver.Doc> docs = new ArrayList<>();
          for (int i = 0; i < 3; i++) {
            docs.addAll(JobDriver.good());
          }
          s.driver.submitAsync(docs, 2);
          Awaitility.await()
              .atMost(Duration.ofSeconds(60))
              .until(() -> s.driver.acknowledged.size() >= 3);
          s.driver.acknowledged.stream().limit(3).forEach(w::slowWatchJob);
          s.driver.awaitSubmitted(Duration.ofMinutes(2));
          w.resumeStopped();
        },
        s -> ((Watchers) s.attachment).check());
  }

  @Test
  @Order(13)
  void overload() {
    int maxPendingTasks = 30;
    double[] warm = new double[1];
    scenario(
        "overload-2x",
        Mesh.Options.plain()
            .orchestratorEnv(Map.of("DOCMESH_MAX_PENDING_TASKS", "" + maxPendingTasks)),
        s -> {
          // capacity of this mesh: a closed loop that keeps the backlog at its limit (retrying a
          // full queue every 100 ms), finished jobs a second
          JobDriver warmup = new JobDriver(s.mesh, "overload-warmup", true);
          warmup.fullRetryDelay = Duration.ofMillis(100);
          List<JobDriver.Doc> docs = new ArrayList<>();
          for (int i = 0; i < 6; i++) {
            docs.addAll(JobDriver.good());
          }
          warmup.submitAsync(docs, 4).awaitSubmitted(Duration.ofMinutes(2));
          Invariants probe = new Invariants();
          probe.checkJobs(s.mesh, warmup.acknowledged, Duration.ofSeconds(120));
          s.inv.violations.addAll(probe.violations);
          warmup.close();
          warm[0] = Math.max(0.5, warmThroughput(probe)); // the JIT needs the first half to settle
          double c = warm[0];
          s.driver.close();
          s.driver = new JobDriver(s.mesh, "overload", false);
          Watchers w = new Watchers(s);
          s.attachment = w;
          Duration interval = Duration.ofNanos((long) (1e9 / (2 * c)));
          int count = (int) Math.min(300, Math.ceil(2 * c * 15));
          s.row.notes.add(
              String.format(
                  "saturated capacity %.2f jobs/s (last half of 60 jobs, closed loop; baseline cold %.2f); offered %d submits at %.1f/s for 15 s,"
                      + " DOCMESH_MAX_PENDING_TASKS=%d",
                  c, capacity, count, 2 * c, maxPendingTasks));
          s.driver.submitAtRate(JobDriver.good(), count, interval);
        },
        s -> {
          ((Watchers) s.attachment).check();
          double c = warm[0];
          double admitted = throughput(s.inv);
          s.row.notes.add(
              String.format(
                  "refused %d (RESOURCE_EXHAUSTED, %d with RetryInfo); admitted throughput %.2f jobs/s = %.0f%% of capacity",
                  s.driver.refused.get(),
                  s.driver.refusedWithRetryInfo.get(),
                  admitted,
                  100 * admitted / c));
          if (s.driver.refused.get() == 0) {
            s.row.violations.add(
                "the backlog limit was never reached: no RESOURCE_EXHAUSTED at 2x capacity");
          }
          if (s.driver.refusedWithRetryInfo.get() != s.driver.refused.get()) {
            s.row.violations.add("RESOURCE_EXHAUSTED without RetryInfo");
          }
          // loose on purpose (a shared, loaded machine): catches a collapse, not a dip
          if (admitted < 0.4 * c) {
            s.row.violations.add(
                String.format(
                    "admitted throughput collapsed: %.2f jobs/s vs %.2f warm capacity",
                    admitted, c));
          }
        });
  }

  /** Like {@link #throughput} over the second half of the completions only. */
  private static double warmThroughput(Invariants inv) {
    long[] ends =
        inv.histories.values().stream()
            .filter(h -> h.job().getState() == JobState.JOB_STATE_SUCCEEDED)
            .mapToLong(h -> Timestamps.toMillis(h.job().getEndTime()))
            .sorted()
            .toArray();
    int from = ends.length / 2;
    return ends.length - from < 2
        ? 0
        : (ends.length - 1 - from) / Math.max(0.001, (ends[ends.length - 1] - ends[from]) / 1000.0);
  }

  /** Jobs finished a second while saturated: completions between the first and the last job end. */
  private static double throughput(Invariants inv) {
    long[] ends =
        inv.histories.values().stream()
            .filter(h -> h.job().getState() == JobState.JOB_STATE_SUCCEEDED)
            .mapToLong(h -> Timestamps.toMillis(h.job().getEndTime()))
            .sorted()
            .toArray();
    return ends.length < 2
        ? 0
        : (ends.length - 1) / Math.max(0.001, (ends[ends.length - 1] - ends[0]) / 1000.0);
  }

  // ------------------------------------------------------------------ machinery

  interface Body {
    void run(Scenario s) throws Exception;
  }

  /** One scenario's mesh, driver, result row and fault marks. */
  static final class Scenario {
    final Mesh mesh;
    JobDriver driver;
    final Summary.Row row;
    final Invariants inv = new Invariants();
    final List<Map.Entry<String, Long>> faults = new ArrayList<>();
    final HeapSampler heap;
    List<ActiveTask> held = List.of();
    long faultMillis;
    double staleHeartbeats;
    Object attachment;

    Scenario(Mesh mesh, Summary.Row row) {
      this.mesh = mesh;
      this.row = row;
      this.driver = new JobDriver(mesh, row.scenario, true);
      this.heap = new HeapSampler(mesh.orchestrator.metricsPort);
    }

    /**
     * Corpus jobs with the 117-page document first and in the middle: tasks long enough to be hit
     * mid-flight.
     */
    List<JobDriver.Doc> longDocs() {
      List<JobDriver.Doc> docs = new ArrayList<>();
      docs.add(JobDriver.load(JobDriver.LARGE));
      docs.addAll(JobDriver.good());
      docs.add(JobDriver.load(JobDriver.LARGE));
      docs.addAll(JobDriver.good().subList(0, 4));
      return docs;
    }

    void fault(String label, Runnable action) {
      long t = System.currentTimeMillis();
      faultMillis = t;
      action.run();
      faults.add(Map.entry(label, t));
    }

    void exitCode(String svc, int code) {
      if (code != 0 && code != 143) {
        row.violations.add(svc + " exited with " + code + " after SIGTERM");
      }
      row.notes.add(
          svc
              + " exited "
              + code
              + " "
              + (System.currentTimeMillis() - faultMillis)
              + " ms after SIGTERM");
    }

    int errorCount() {
      return driver.errors.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    void awaitWorkerBusy() {
      Awaitility.await("worker holding a task")
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(50))
          .ignoreExceptions()
          .until(() -> mesh.workerStatus().getActiveTasksCount() > 0);
    }

    void awaitProcessorBusy() {
      Awaitility.await("processor running a call")
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(50))
          .ignoreExceptions()
          .until(() -> Metrics.sum(mesh.processor.metricsPort, "docmesh_processor_in_flight") > 0);
    }

    /**
     * The drain: every task the worker held at the stop must move on (complete, or be handed back
     * and re-leased) without waiting for its lease to expire.
     */
    void checkDrain() {
      if (held.isEmpty()) {
        row.violations.add("no task was in flight at the stop: the drain was not exercised");
        return;
      }
      long worst = 0;
      for (ActiveTask t : held) {
        JobHistory h = inv.histories.get(t.getJobId());
        if (h == null) {
          continue;
        }
        // the lease of the held attempt, then the stage's next move out of LEASED (a lease expiry
        // is
        // recorded under the attempt it starts, so match by order, not by attempt)
        long leasedAt =
            h.events().stream()
                .filter(
                    e ->
                        e.hasTaskStateChanged()
                            && e.getTaskStateChanged().getStage().equals(t.getStage())
                            && e.getTaskStateChanged().getTo() == TaskState.TASK_STATE_LEASED
                            && e.getTaskStateChanged().getAttempt() == t.getAttempt())
                .mapToLong(JobEvent::getSequence)
                .findFirst()
                .orElse(Long.MAX_VALUE);
        JobEvent next =
            h.events().stream()
                .filter(
                    e ->
                        e.getSequence() > leasedAt
                            && e.hasTaskStateChanged()
                            && e.getTaskStateChanged().getStage().equals(t.getStage())
                            && e.getTaskStateChanged().getFrom() == TaskState.TASK_STATE_LEASED)
                .findFirst()
                .orElse(null);
        if (next == null) {
          row.violations.add(
              t.getJobId() + "/" + t.getStage() + ": held at the stop, never left LEASED");
          continue;
        }
        long after = h.eventMillis(next) - faultMillis;
        worst = Math.max(worst, after);
        if ("LEASE_EXPIRED".equals(next.getTaskStateChanged().getError().getReason())) {
          row.violations.add(
              String.format(
                  "%s/%s: waited for its lease to expire after a clean stop (%d ms, lease %d s)",
                  t.getJobId(), t.getStage(), after, Mesh.LEASE.toSeconds()));
        }
      }
      row.notes.add(
          String.format(
              "drain: %d task(s) held at SIGTERM moved on at most %d ms after it (lease %d s)",
              held.size(), worst, Mesh.LEASE.toSeconds()));
    }
  }

  private void scenario(
      String name, Mesh.Options options, Body body, java.util.function.Consumer<Scenario> after) {
    Summary.Row row = new Summary.Row(name);
    long start = System.nanoTime();
    Path dir =
        options.orchestratorData() != null
            ? options.orchestratorData().getParent()
            : out.resolve(name);
    try (Mesh mesh = new Mesh(dir, options).start()) {
      Scenario s = new Scenario(mesh, row);
      s.heap.start();
      try {
        body.run(s);
        s.driver.awaitSubmitted(Duration.ofMinutes(3));
        Set<String> acked = s.driver.acknowledged;
        s.inv.checkJobs(mesh, acked, Duration.ofSeconds(150));
        s.inv.checkGauges(mesh);
        s.staleHeartbeats = staleHeartbeats(mesh);
        s.heap.stop();
        mesh.stopAll();
        s.inv.checkStore(mesh.orchestratorData, acked);
        row.acknowledged = acked.size();
        row.succeeded =
            (int)
                s.inv.histories.values().stream()
                    .filter(h -> h.job().getState() == JobState.JOB_STATE_SUCCEEDED)
                    .count();
        row.submitRetries = s.driver.retries.get();
        for (Map.Entry<String, Long> f : s.faults) {
          long first =
              s.inv.histories.values().stream()
                  .mapToLong(h -> h.firstCompletionAfter(f.getValue()))
                  .filter(t -> t >= 0)
                  .min()
                  .orElse(-1);
          row.recoveries.add(
              f.getKey()
                  + " "
                  + (first < 0
                      ? "never"
                      : String.format("%.1fs", (first - f.getValue()) / 1000.0)));
          if (first < 0) {
            row.violations.add("no task completed after " + f.getKey());
          }
        }
        if (s.driver.gaveUp.get() > 0) {
          row.notes.add(
              s.driver.gaveUp.get()
                  + " submits given up (never acknowledged): "
                  + s.driver.errors.keySet());
        }
        after.accept(s);
        row.notes.add(
            String.format(
                "orchestrator heap max %.0f MiB of %.0f MiB; Heartbeats answered FAILED_PRECONDITION: %.0f",
                s.heap.maxUsed / 1048576.0, s.heap.limit / 1048576.0, s.staleHeartbeats));
        if (s.heap.limit > 0 && s.heap.maxUsed > 0.9 * s.heap.limit) {
          row.violations.add(
              "orchestrator heap near its limit: " + s.heap.maxUsed + " of " + s.heap.limit);
        }
      } finally {
        s.heap.stop();
        s.driver.close();
        row.violations.addAll(0, s.inv.violations);
        if (!row.violations.isEmpty()) {
          dumpHistories(s, dir.resolve("histories.txt"));
        }
      }
    } catch (Throwable e) {
      row.violations.add("scenario aborted: " + e);
    } finally {
      row.seconds = (System.nanoTime() - start) / 1e9;
      summary.add(row);
      summary.write(out.resolve("summary.txt"));
    }
    assertThat(row.violations).as(name + " invariants (logs in " + dir + ")").isEmpty();
  }

  /** Every job's final state and events, for the post-mortem of a red scenario. */
  private static void dumpHistories(Scenario s, Path file) {
    StringBuilder b = new StringBuilder();
    try {
      com.google.protobuf.util.JsonFormat.Printer json =
          com.google.protobuf.util.JsonFormat.printer();
      for (JobHistory h : s.inv.histories.values()) {
        b.append("=== ")
            .append(h.job().getId())
            .append(' ')
            .append(h.job().getState())
            .append('\n');
        for (JobEvent e : h.events()) {
          b.append(json.omittingInsignificantWhitespace().print(e)).append('\n');
        }
      }
      Files.writeString(file, b);
    } catch (IOException e) {
      // diagnostics only
    }
  }

  private static double staleHeartbeats(Mesh mesh) {
    try {
      return Metrics.sum(
          mesh.orchestrator.metricsPort,
          "grpc_server_handled_total",
          "grpc_method=\"Heartbeat\"",
          "grpc_code=\"FAILED_PRECONDITION\"");
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /** Keeps a fault in place for a while (the fault's duration, not a wait for a condition). */
  static void hold(Duration d) {
    Awaitility.await().pollDelay(d).atMost(d.plusSeconds(5)).until(() -> true);
  }

  private static boolean tmpfs(Path dir, String size) {
    try {
      Process p =
          new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString())
              .redirectErrorStream(true)
              .start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Writes until the file system says it is full. */
  private static void fill(Path filler) {
    byte[] block = new byte[1 << 20];
    try (OutputStream o = Files.newOutputStream(filler)) {
      while (true) {
        o.write(block);
      }
    } catch (IOException e) {
      // ENOSPC: full
    }
  }

  private static void delete(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Samples the orchestrator's heap from /metrics while a scenario runs. */
  static final class HeapSampler {
    private final int port;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    volatile double maxUsed;
    volatile double limit;

    HeapSampler(int port) {
      this.port = port;
    }

    void start() {
      timer.scheduleAtFixedRate(
          () -> {
            try {
              String page = Metrics.page(port);
              maxUsed =
                  Math.max(maxUsed, Metrics.sum(page, "jvm_memory_bytes_used", "area=\"heap\""));
              limit = Metrics.sum(page, "jvm_memory_bytes_max", "area=\"heap\"");
            } catch (RuntimeException e) {
              // down during a fault
            }
          },
          0,
          500,
          TimeUnit.MILLISECONDS);
    }

    void stop() {
      timer.shutdownNow();
    }
  }

  /**
   * A firehose consumer that stops reading, a normal one, and slow WatchJob readers (one message
   * every 100 ms): the stopped one must not grow the orchestrator's memory nor slow the others; how
   * the orchestrator ends a reader too far behind is reported.
   */
  static final class Watchers {
    private final Scenario s;
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(1);
    final AtomicReference<Status> stoppedEnd = new AtomicReference<>();
    final AtomicReference<String> stoppedReason = new AtomicReference<>();
    final AtomicReference<String> stoppedResume = new AtomicReference<>();

    /**
     * Whether the stopped firehose must have been ended (the mesh runs with a small
     * DOCMESH_WATCH_MAX_QUEUED).
     */
    boolean stopEnded;

    volatile ClientCallStreamObserver<WatchJobsRequest> stoppedCall;
    final java.util.concurrent.atomic.AtomicLong progressOutOfPlace =
        new java.util.concurrent.atomic.AtomicLong();
    private final io.grpc.ManagedChannel stoppedChannel;
    final Set<String> firehoseTerminal = ConcurrentHashMap.newKeySet();
    final AtomicInteger firehoseEvents = new AtomicInteger();
    final Map<String, List<Long>> slow = new ConcurrentHashMap<>();
    final Map<String, String> slowEnd = new ConcurrentHashMap<>();

    Watchers(Scenario s) {
      this.s = s;
      // its own channel with a small HTTP/2 window: the server's queue is what fills, not 1 MiB of
      // client buffer
      io.grpc.ManagedChannel stoppedChannel =
          io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forTarget(
                  s.mesh.orchestrator.address())
              .usePlaintext()
              .flowControlWindow(16 * 1024)
              .build();
      this.stoppedChannel = stoppedChannel;
      dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc.newStub(stoppedChannel)
          .watchJobs(
              WatchJobsRequest.newBuilder().setIncludeProgress(true).build(),
              new ClientResponseObserver<WatchJobsRequest, WatchJobsResponse>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<WatchJobsRequest> r) {
                  r.disableAutoRequestWithInitial(0); // never reads (until check(): see there)
                  stoppedCall = r;
                }

                @Override
                public void onNext(WatchJobsResponse v) {}

                @Override
                public void onError(Throwable t) {
                  JobDriver.errorInfo(t)
                      .ifPresent(
                          i -> {
                            stoppedReason.set(i.getReason());
                            stoppedResume.set(i.getMetadataOrDefault("resume", ""));
                          });
                  stoppedEnd.set(Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                  stoppedEnd.set(Status.OK);
                }
              });
      s.mesh
          .orchestratorAsync()
          .watchJobs(
              WatchJobsRequest.getDefaultInstance(),
              new io.grpc.stub.StreamObserver<WatchJobsResponse>() {
                @Override
                public void onNext(WatchJobsResponse v) {
                  firehoseEvents.incrementAndGet();
                  if (v.getEvent().hasJobStateChanged()
                      && Invariants.terminal(v.getEvent().getJobStateChanged().getTo())) {
                    firehoseTerminal.add(v.getEvent().getJobId());
                  }
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {}
              });
    }

    void slowWatchJob(String jobId) {
      List<Long> seqs = java.util.Collections.synchronizedList(new ArrayList<>());
      slow.put(jobId, seqs);
      s.mesh
          .orchestratorAsync()
          .watchJob(
              WatchJobRequest.newBuilder().setJobId(jobId).build(),
              new ClientResponseObserver<WatchJobRequest, WatchJobResponse>() {
                ClientCallStreamObserver<WatchJobRequest> call;

                @Override
                public void beforeStart(ClientCallStreamObserver<WatchJobRequest> r) {
                  call = r;
                  r.disableAutoRequestWithInitial(1);
                }

                @Override
                public void onNext(WatchJobResponse v) {
                  // stored events are numbered 1, 2, 3, ...; progress (live only, not stored)
                  // repeats the sequence of the stored event it follows
                  long seq = v.getEvent().getSequence();
                  if (!v.getEvent().hasTaskProgressed()) {
                    seqs.add(seq);
                  } else if (seq != (seqs.isEmpty() ? 0 : seqs.get(seqs.size() - 1))) {
                    progressOutOfPlace.incrementAndGet();
                  }
                  timer.schedule(() -> call.request(1), 100, TimeUnit.MILLISECONDS);
                }

                @Override
                public void onError(Throwable t) {
                  slowEnd.put(jobId, Status.fromThrowable(t).toString());
                }

                @Override
                public void onCompleted() {
                  slowEnd.put(jobId, "completed");
                }
              });
    }

    /**
     * The stopped reader reads again (while the mesh still runs), as a consumer that stalled and
     * comes back would: gRPC hands a client the status only after the messages buffered before it.
     */
    void resumeStopped() {
      Awaitility.await("the reading firehose saw every job end")
          .atMost(Duration.ofSeconds(120))
          .until(() -> firehoseTerminal.containsAll(s.driver.acknowledged));
      stoppedCall.request(Integer.MAX_VALUE);
      try {
        Awaitility.await("the stopped firehose sees its end")
            .atMost(Duration.ofSeconds(20))
            .until(() -> stoppedEnd.get() != null);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        // reported by check()
      }
    }

    void check() {
      Set<String> acked = s.driver.acknowledged;
      try {
        Awaitility.await("the reading firehose saw every job end")
            .atMost(Duration.ofSeconds(20))
            .until(() -> firehoseTerminal.containsAll(acked));
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        s.row.violations.add(
            "the reading firehose consumer missed the end of "
                + acked.stream().filter(j -> !firehoseTerminal.contains(j)).count()
                + " jobs (affected by the stopped one?)");
      }
      try {
        Awaitility.await("slow WatchJob readers finish")
            .atMost(Duration.ofSeconds(90))
            .until(() -> slowEnd.keySet().containsAll(slow.keySet()));
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        s.row.violations.add("slow WatchJob readers not finished within 90 s");
      }
      for (Map.Entry<String, List<Long>> e : slow.entrySet()) {
        List<Long> seqs = new ArrayList<>(e.getValue());
        JobHistory h = s.inv.histories.get(e.getKey());
        boolean gapFree = true;
        for (int i = 0; i < seqs.size(); i++) {
          gapFree &= seqs.get(i) == i + 1;
        }
        if (!"completed".equals(slowEnd.get(e.getKey()))
            || !gapFree
            || h == null
            || seqs.size() != h.events().size()) {
          s.row.violations.add(
              String.format(
                  "slow WatchJob %s: %d events (history %d), gap-free %b, ended %s",
                  e.getKey(),
                  seqs.size(),
                  h == null ? -1 : h.events().size(),
                  gapFree,
                  slowEnd.get(e.getKey())));
        }
      }
      if (progressOutOfPlace.get() > 0) {
        s.row.violations.add(
            progressOutOfPlace.get()
                + " progress events reached a slow WatchJob reader out of place (not right after"
                + " the stored event whose sequence they carry)");
      }
      s.row.notes.add(
          String.format(
              "watchers: %d slow WatchJob readers got their full history (never cut off: a live queue"
                  + " of 1024, then the store); reading firehose %d events; stopped firehose: %s",
              slow.size(),
              firehoseEvents.get(),
              stoppedEnd.get() == null
                  ? "still open at the end (never cut off)"
                  : "ended "
                      + stoppedEnd.get().getCode()
                      + " ["
                      + stoppedReason.get()
                      + "] "
                      + stoppedEnd.get().getDescription()));
      if (stopEnded) {
        // over DOCMESH_WATCH_MAX_QUEUED the stopped firehose is ended, with how to resume
        // (WatchJobs has no position)
        if (stoppedEnd.get() == null
            || stoppedEnd.get().getCode() != Status.Code.RESOURCE_EXHAUSTED
            || !"WATCHER_TOO_SLOW".equals(stoppedReason.get())
            || !"WatchJobs+ListJobs".equals(stoppedResume.get())
            || !String.valueOf(stoppedEnd.get().getDescription()).contains("ListJobs")) {
          s.row.violations.add(
              "the stopped firehose over DOCMESH_WATCH_MAX_QUEUED="
                  + WATCH_MAX_QUEUED
                  + " was not ended RESOURCE_EXHAUSTED/WATCHER_TOO_SLOW with resume=WatchJobs+ListJobs: "
                  + stoppedEnd.get()
                  + " ["
                  + stoppedReason.get()
                  + ", resume="
                  + stoppedResume.get()
                  + "]");
        }
      }
      timer.shutdownNow();
      stoppedChannel.shutdownNow();
    }
  }
}
