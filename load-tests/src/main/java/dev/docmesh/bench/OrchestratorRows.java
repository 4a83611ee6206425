package dev.docmesh.bench;

import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.orchestrator.v1.GetJobResponse;
import dev.docmesh.proto.orchestrator.v1.HeartbeatRequest;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.PollTaskResponse;
import dev.docmesh.proto.orchestrator.v1.SubmitJobResponse;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code java -jar docmesh-bench.jar orchestrator [--root DIR]... [--rounds N] [--jfr DIR]}: the
 * orchestrator rows of the performance issue, worded as the issue words them, against one or more
 * builds of orchestrator-svc ({@code DIR/orchestrator-svc/target/orchestrator-svc.jar}, e.g. the
 * jar before a change copied aside and the working tree's). Rounds alternate the builds (and their
 * order) so the machine's load drifts over both alike; each round starts a fresh orchestrator with
 * an empty data directory.
 *
 * <p>Rows: no-op tasks through PollTask → CompleteTask with 16 pollers (durable), and the same with
 * each completion leasing the poller's next task (lease_next, as worker-svc runs); SubmitJob closed
 * loop with 32 in flight; SubmitJob open loop at 500/s, p50/p99 from when each call was due;
 * dispatch, the READY commit → an idle long-polling poller answered, p50/p99; and a processed page
 * → visible to a WatchJob client, p50/p99, through a fake worker that processes a page every
 * {@value #PAGE_MILLIS} ms (PDFBox's ≈ 4 ms a page) and relays progress exactly as worker-svc's
 * {@code Heartbeater} does: at once when the last relay is {@value #RELAY_MILLIS} ms old, else the
 * latest page when that interval ends. The latency of page k runs from the moment the fake worker
 * finished it to the moment the WatchJob client first sees {@code done ≥ k}, so it includes the
 * relay interval.
 */
final class OrchestratorRows {
  static final int PAGE_MILLIS = 4;
  static final int RELAY_MILLIS = 50;

  private final OrchestratorFigures.Sizes sizes =
      new OrchestratorFigures.Sizes(32, Duration.ofSeconds(3), 500, 2500, 600, 16, 100);
  private final int pages = 250;
  private final int progressTasks = 4;

  private OrchestratorRows() {}

  static void main(String[] args) throws Exception {
    List<Path> roots = new ArrayList<>();
    int rounds = 3;
    Path jfr = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--root" -> roots.add(Path.of(args[++i]).toAbsolutePath().normalize());
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--jfr" -> jfr = Path.of(args[++i]).toAbsolutePath();
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (roots.isEmpty()) {
      roots.add(Path.of(".").toAbsolutePath().normalize());
    }
    new OrchestratorRows().run(roots, rounds, jfr);
  }

  private void run(List<Path> roots, int rounds, Path jfr) throws IOException {
    Map<Path, Map<String, List<Double>>> results = new LinkedHashMap<>();
    roots.forEach(r -> results.put(r, new LinkedHashMap<>()));
    List<String> loads = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      List<Path> order = new ArrayList<>(roots);
      if (round % 2 == 1) {
        java.util.Collections.reverse(order);
      }
      for (Path root : order) {
        String load = BenchMain.loadAverage();
        loads.add(load);
        System.out.printf(Locale.ROOT, "-- round %d, %s, load %s%n", round + 1, root, load);
        Map<String, Double> rows = oneRound(root, jfr, round);
        rows.forEach(
            (k, v) -> {
              System.out.printf(Locale.ROOT, "   %-48s %10.2f%n", k, v);
              results.get(root).computeIfAbsent(k, x -> new ArrayList<>()).add(v);
            });
      }
    }
    StringBuilder md = new StringBuilder();
    md.append("load averages (1/5/15) at each start: ").append(loads).append("\n\n| row |");
    roots.forEach(r -> md.append(' ').append(r).append(" |"));
    md.append("\n|---|").append("---|".repeat(roots.size())).append('\n');
    for (String row : results.get(roots.get(0)).keySet()) {
      md.append("| ").append(row).append(" |");
      for (Path r : roots) {
        List<Double> xs = results.get(r).get(row);
        md.append(
            String.format(
                Locale.ROOT,
                " %.4g [%.4g–%.4g] |",
                Stats.median(xs),
                Stats.min(xs),
                Stats.max(xs)));
      }
      md.append('\n');
    }
    System.out.println();
    System.out.println("median [min–max] over " + rounds + " rounds");
    System.out.println(md);
  }

  private Map<String, Double> oneRound(Path root, Path jfr, int round) throws IOException {
    try (WorkDir workDir = WorkDir.create("docmesh-orch-rows")) {
      return oneRound(root, jfr, round, workDir.path());
    }
  }

  private Map<String, Double> oneRound(Path root, Path jfr, int round, Path work)
      throws IOException {
    Map<String, String> env = BenchMain.orchestratorEnv(work);
    // the deployed collector on the machine's heap: the SubmitJob rows leave tens of thousands of
    // jobs queued on purpose, past the backlog a deployed orchestrator keeps
    String jvm = DeployedJvm.ORCHESTRATOR_GC;
    if (jfr != null) {
      Files.createDirectories(jfr);
      jvm +=
          " -XX:StartFlightRecording=settings=profile,filename="
              + jfr.resolve(root.getFileName() + "-" + round + ".jfr");
    }
    env.put("JAVA_TOOL_OPTIONS", jvm);
    Map<String, Double> rows = new LinkedHashMap<>();
    try (ServiceProcess orchestrator = ServiceProcess.start(root, "orchestrator", env, work)) {
      ManagedChannel ch = orchestrator.channel();
      OrchestratorFigures of = new OrchestratorFigures(ch, ch, sizes);
      // warm-up, not counted: every path at least three times (once left C2 compiling through the
      // measured rows, a third of the orchestrator's CPU on a quiet machine), then on until its JIT
      // has settled
      JitWarmup.run(
          "orchestrator",
          3,
          12,
          JitWarmup.SETTLED,
          () -> {
            of.pollAndComplete(ch, of.submitNoopBacklog());
            of.pollAndComplete(ch, of.submitNoopBacklog(), true);
            of.submitRate(ch);
            of.dispatchLatencies(10);
            progressLatencies(ch, 1, 50);
          },
          orchestrator.pid());

      double cpu0 = orchestrator.cpuSeconds();
      int tasks = of.submitNoopBacklog();
      double cpuTasks = orchestrator.cpuSeconds();
      rows.put("no-op tasks/s, 16 pollers", tasks / of.pollAndComplete(ch, tasks));
      // CPU per unit of work holds when neighbours steal wall time (the machine is shared)
      rows.put(
          "orchestrator CPU-ms per no-op task (poll+complete)",
          (orchestrator.cpuSeconds() - cpuTasks) * 1000 / tasks);
      tasks = of.submitNoopBacklog();
      cpuTasks = orchestrator.cpuSeconds();
      rows.put(
          "no-op tasks/s, 16 pollers, CompleteTask leasing the next", // as worker-svc runs them
          tasks / of.pollAndComplete(ch, tasks, true));
      rows.put(
          "orchestrator CPU-ms per no-op task (complete leasing the next)",
          (orchestrator.cpuSeconds() - cpuTasks) * 1000 / tasks);
      double cpuSubmit = orchestrator.cpuSeconds();
      long t0 = System.nanoTime();
      double rate = of.submitRate(ch);
      double submitted = rate * (System.nanoTime() - t0) / 1e9;
      rows.put("SubmitJob jobs/s closed loop, 32 in flight", rate);
      rows.put(
          "orchestrator CPU-ms per SubmitJob (closed loop)",
          (orchestrator.cpuSeconds() - cpuSubmit) * 1000 / submitted);
      long[] open = of.submitLatencies(ch);
      rows.put("SubmitJob open loop 500/s p50 ms", Stats.percentileMillis(open, 50));
      rows.put("SubmitJob open loop 500/s p99 ms", Stats.percentileMillis(open, 99));
      long[] dispatch = of.dispatchLatencies(sizes.latencySamples());
      rows.put("dispatch READY→idle poller p50 ms", Stats.percentileMillis(dispatch, 50));
      rows.put("dispatch READY→idle poller p99 ms", Stats.percentileMillis(dispatch, 99));
      long[] progress = progressLatencies(ch, progressTasks, pages);
      rows.put("page processed→WatchJob client p50 ms", Stats.percentileMillis(progress, 50));
      rows.put("page processed→WatchJob client p99 ms", Stats.percentileMillis(progress, 99));
      rows.put("orchestrator CPU-s over the measured rows", orchestrator.cpuSeconds() - cpu0);
      // What any grpc-java server costs the same client after the same quiet gaps: the floor under
      // the dispatch row (30 ms gaps) and under the relay rule's heartbeats (50 ms gaps).
      try (EchoServer echo =
          new EchoServer(
              GetJobResponse.getDefaultInstance(),
              SubmitJobResponse.getDefaultInstance(),
              PollTaskResponse.getDefaultInstance())) {
        ManagedChannel bare = Clients.channel(echo.target());
        try {
          OrchestratorFigures b = new OrchestratorFigures(ch, bare, sizes);
          b.echoRoundTripsAfterIdle("bench", 50, 0); // warm the path
          for (int idle : new int[] {OrchestratorFigures.DISPATCH_IDLE_MILLIS, RELAY_MILLIS}) {
            long[] rtt = b.echoRoundTripsAfterIdle("bench", sizes.latencySamples(), idle);
            String row = "bare grpc-java round trip after " + idle + " ms idle";
            rows.put(row + " p50 ms", Stats.percentileMillis(rtt, 50));
            rows.put(row + " p99 ms", Stats.percentileMillis(rtt, 99));
          }
        } finally {
          bare.shutdownNow();
        }
      }
    }
    return rows;
  }

  /**
   * {@code tasks} bench.progress tasks one after another, {@code pages} pages each: for every page
   * the time from "processed" to the WatchJob client seeing it, nanos.
   */
  private long[] progressLatencies(ManagedChannel ch, int tasks, int pages) {
    TaskQueueServiceGrpc.TaskQueueServiceFutureStub async = TaskQueueServiceGrpc.newFutureStub(ch);
    long[] lat = new long[tasks * pages];
    ScheduledExecutorService relayTimer = Executors.newSingleThreadScheduledExecutor();
    try {
      for (int n = 0; n < tasks; n++) {
        OrchestratorFigures.Leased leased = OrchestratorFigures.leaseProgressTask(ch);
        String jobId = leased.jobId();
        Task task = leased.task();
        long[] processedAt = new long[pages + 1];
        long[] seenAt = new long[pages + 1];
        AtomicLong seenUpTo = new AtomicLong();
        CountDownLatch all = new CountDownLatch(1);
        io.grpc.Context.CancellableContext watch = io.grpc.Context.current().withCancellation();
        CountDownLatch attached = new CountDownLatch(1);
        watch.run(
            () ->
                OrchestratorServiceGrpc.newStub(ch)
                    .watchJob(
                        WatchJobRequest.newBuilder().setJobId(jobId).build(),
                        new StreamObserver<WatchJobResponse>() {
                          @Override
                          public void onNext(WatchJobResponse r) {
                            attached.countDown();
                            if (!r.getEvent().hasTaskProgressed()) {
                              return;
                            }
                            long now = System.nanoTime();
                            long done = r.getEvent().getTaskProgressed().getProgress().getDone();
                            synchronized (seenAt) {
                              for (long k = seenUpTo.get() + 1; k <= done && k <= pages; k++) {
                                seenAt[(int) k] = now;
                                seenUpTo.set(k);
                              }
                            }
                            if (done >= pages) {
                              all.countDown();
                            }
                          }

                          @Override
                          public void onError(Throwable t) {}

                          @Override
                          public void onCompleted() {}
                        }));
        try {
          if (!attached.await(10, TimeUnit.SECONDS)) { // the first stored event arrived
            throw new IllegalStateException("progress: WatchJob sent nothing");
          }
          Relay relay = new Relay(async, task, relayTimer, pages);
          long next = System.nanoTime();
          for (int k = 1; k <= pages; k++) {
            next += TimeUnit.MILLISECONDS.toNanos(PAGE_MILLIS);
            long wait;
            while ((wait = next - System.nanoTime()) > 0) {
              java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
            processedAt[k] = System.nanoTime();
            relay.page(k);
          }
          if (!all.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(
                "progress: the WatchJob client saw " + seenUpTo.get() + " of " + pages + " pages");
          }
          relay.stop();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        } finally {
          watch.cancel(null);
        }
        new OrchestratorFigures(ch, ch, sizes).complete(task, "bench-progress");
        synchronized (seenAt) {
          for (int k = 1; k <= pages; k++) {
            lat[n * pages + k - 1] = seenAt[k] - processedAt[k];
          }
        }
      }
    } finally {
      relayTimer.shutdownNow();
    }
    return lat;
  }

  /** worker-svc's relay rule (Heartbeater.progress): now if the last is old enough, else later. */
  private static final class Relay {
    private final TaskQueueServiceGrpc.TaskQueueServiceFutureStub stub;
    private final Task task;
    private final ScheduledExecutorService timer;
    private final int total;
    private long lastSent = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(RELAY_MILLIS);
    private long pending;
    private ScheduledFuture<?> delayed;
    private boolean stopped;

    Relay(
        TaskQueueServiceGrpc.TaskQueueServiceFutureStub stub,
        Task task,
        ScheduledExecutorService timer,
        int total) {
      this.stub = stub;
      this.task = task;
      this.timer = timer;
      this.total = total;
    }

    synchronized void page(long done) {
      pending = done;
      long wait = lastSent + TimeUnit.MILLISECONDS.toNanos(RELAY_MILLIS) - System.nanoTime();
      if (wait <= 0) {
        send();
      } else if (delayed == null) {
        delayed = timer.schedule(this::flush, wait, TimeUnit.NANOSECONDS);
      }
    }

    private synchronized void flush() {
      delayed = null;
      if (!stopped && pending > 0) {
        send();
      }
    }

    private void send() {
      lastSent = System.nanoTime();
      long done = pending;
      pending = 0;
      stub.withDeadlineAfter(10, TimeUnit.SECONDS)
          .heartbeat(
              HeartbeatRequest.newBuilder()
                  .setTaskId(task.getTaskId())
                  .setLeaseToken(task.getLeaseToken())
                  .setWorkerId("bench-progress")
                  .setProgress(
                      Progress.newBuilder()
                          .setDone(done)
                          .setTotal(total)
                          .setUnit("page")
                          .setMessage("page " + done + " of " + total))
                  .build());
    }

    synchronized void stop() {
      stopped = true;
      if (delayed != null) {
        delayed.cancel(false);
      }
    }
  }
}
