package dev.docmesh.bench;

import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobResponse;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.PollTaskRequest;
import dev.docmesh.proto.orchestrator.v1.PollTaskResponse;
import dev.docmesh.proto.orchestrator.v1.SubmitJobResponse;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar docmesh-bench.jar [--smoke] [--passes N] [--warmup N] [--root DIR] [--corpus
 * DIR] [--out FILE]}: the benchmark harness. {@code java -jar docmesh-bench.jar report DIR}: the
 * summary of a {@code load-tests/run.sh} run (see {@link GhzReport}); {@code seed TARGET PDF}:
 * submits one job and prints its id once it has ended; {@code health HOST:PORT}: exit 0 when
 * SERVING.
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("report")) {
      GhzReport.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && args[0].equals("orchestrator")) {
      OrchestratorRows.main(Arrays.copyOfRange(args, 1, args.length));
      System.exit(0);
    }
    if (args.length > 0 && args[0].equals("seed")) {
      Seed.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && args[0].equals("procs")) { // processor and mesh figures (issue 12)
      ProcFigures.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length == 2 && args[0].equals("health")) {
      System.exit(serving(args[1]) ? 0 : 1);
    }
    List<String> rest = new ArrayList<>(List.of(args));
    if (rest.remove("--secure")) { // issue 14: the mesh's figures with TLS + auth off and on
      System.exit(new SecurityFigures(Options.parse(rest.toArray(String[]::new))).run());
    }
    Options o = Options.parse(args);
    int code = new BenchMain().run(o);
    System.exit(code);
  }

  record Options(
      boolean smoke, int passes, int warmup, Path root, Path corpus, Path out, int docLimit) {
    static Options parse(String[] args) {
      boolean smoke = false;
      Integer passes = null;
      Integer warmup = null;
      Path root = Path.of(System.getProperty("docmesh.root", ".")).toAbsolutePath().normalize();
      Path corpus = null;
      Path out = null;
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--smoke" -> smoke = true;
          case "--passes" -> passes = Integer.parseInt(args[++i]);
          case "--warmup" -> warmup = Integer.parseInt(args[++i]);
          case "--root" -> root = Path.of(args[++i]).toAbsolutePath().normalize();
          case "--corpus" -> corpus = Path.of(args[++i]);
          case "--out" -> out = Path.of(args[++i]);
          case "-h", "--help" -> {
            System.out.println(
                "usage: java -jar docmesh-bench.jar [--smoke] [--passes N] [--warmup N] [--root DIR] "
                    + "[--corpus DIR] [--out FILE.md]\n"
                    + "       java -jar docmesh-bench.jar --secure [same options]: pipeline and GetJob,"
                    + " TLS + auth off vs on\n       java -jar docmesh-bench.jar report RESULTS_DIR\n"
                    + "       java -jar docmesh-bench.jar seed HOST:PORT FILE.pdf");
            System.exit(0);
          }
          default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--help)");
        }
      }
      if (corpus == null) {
        // the project's one corpus locator: $DOCMESH_CORPUS_DIR, else ../shared/corpus next to the
        // repository
        corpus = dev.docmesh.docgen.Corpus.pdfDir();
      }
      return new Options(
          smoke,
          passes != null ? passes : smoke ? 1 : 5,
          warmup != null ? warmup : smoke ? 1 : 10,
          root,
          corpus,
          out,
          smoke ? 3 : Integer.MAX_VALUE);
    }
  }

  int run(Options o) throws IOException {
    String started =
        ZonedDateTime.now(ZoneOffset.UTC)
            .format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
    String loadBefore = loadAverage();
    Corpus corpus = Corpus.load(o.corpus(), o.docLimit());
    System.out.printf(
        Locale.ROOT,
        "docmesh-bench %s: %d documents, %d pages, %d passes after at least %d warm-up passes (until the JITs settle), load %s%n",
        o.smoke() ? "SMOKE (tiny counts, figures mean nothing)" : "",
        corpus.docs().size(),
        corpus.pages(),
        o.passes(),
        o.warmup(),
        loadBefore);
    int slots = 2;
    List<Figure> figures = new ArrayList<>();
    Figure text1 = TextFigures.throughput(1);
    Figure text2 = TextFigures.throughput(2);
    Figure text1Cpu = TextFigures.cpuPerPage(1);
    Figure text2Cpu = TextFigures.cpuPerPage(2);
    Figure pipeline = MeshFigures.pipeline(slots, slots);
    Figure cpu = MeshFigures.cpuPerDocument();
    OrchestratorFigures.Sizes sizes =
        o.smoke()
            ? new OrchestratorFigures.Sizes(8, Duration.ofMillis(500), 50, 25, 10, 4, 3)
            : new OrchestratorFigures.Sizes(32, Duration.ofSeconds(3), 200, 600, 300, 8, 30);
    Figure noop =
        new Figure(
            "no-op tasks, PollTask→CompleteTask (durable), " + sizes.pollers() + " pollers",
            "tasks/s",
            "same pollers on a bare grpc-java server",
            false);
    Figure submit =
        new Figure(
            "SubmitJob closed loop, " + sizes.window() + " in flight",
            "jobs/s",
            "bare grpc-java server, same client",
            false);
    Figure submitP50 =
        new Figure(
            "SubmitJob open loop at " + (int) sizes.openLoopRate() + "/s, p50",
            "ms",
            "bare grpc-java server, same rate",
            true);
    Figure submitP99 =
        new Figure(
            "SubmitJob open loop at " + (int) sizes.openLoopRate() + "/s, p99",
            "ms",
            "bare grpc-java server, same rate",
            true);
    Figure dispatch =
        new Figure(
            "dispatch latency READY→idle poller answered, p50",
            "ms",
            "one unary round trip on a bare server, p50",
            true);
    Figure progress =
        new Figure(
            "progress latency Heartbeat→WatchJob client, p50",
            "ms",
            "one unary round trip on a bare server, p50",
            true);
    Figure getJob =
        new Figure(
            "GetJob ceiling, async client, " + sizes.window() + " in flight",
            "calls/s",
            "bare grpc-java server, same client",
            false);
    figures.addAll(
        List.of(
            pipeline, cpu, text1, text2, text1Cpu, text2Cpu, noop, submit, submitP50, submitP99,
            dispatch, progress, getJob));

    try (WorkDir workDir = WorkDir.create("docmesh-bench");
        ServiceProcess processor =
            ServiceProcess.start(
                o.root(),
                "processor",
                Map.of("DOCMESH_PROCESSOR_THREADS", Integer.toString(slots)),
                workDir.path())) {
      Path work = workDir.path();
      // 1. pdf.text: processor-svc alone next to this JVM
      System.out.println(
          "-- pdf.text: processor-svc vs in-process PDFBox (warm-up: at least "
              + o.warmup()
              + " corpus passes, until the JITs have settled)");
      TextFigures text = new TextFigures(corpus, processor);
      int maxWarmup = o.smoke() ? o.warmup() : JitWarmup.MAX_PASSES;
      JitWarmup.run(
          "pdf.text",
          o.warmup(),
          maxWarmup,
          JitWarmup.SETTLED,
          () -> text.warmUp(1),
          processor.pid(),
          ProcessHandle.current().pid());
      for (int p = 0; p < o.passes(); p++) {
        text.measure(text1, text1Cpu, 1, p);
        text.measure(text2, text2Cpu, 2, p);
      }

      // 2. the whole mesh
      try (ServiceProcess orchestrator = startOrchestrator(o.root(), work);
          ServiceProcess worker =
              MeshFigures.startWorker(o.root(), work, orchestrator, processor, slots)) {
        System.out.println("-- pipeline efficiency and CPU per document");
        MeshFigures mesh = new MeshFigures(corpus, orchestrator, worker, processor, slots);
        JitWarmup.run(
            "mesh",
            Math.max(1, o.warmup() / 2),
            Math.max(1, o.smoke() ? o.warmup() / 2 : JitWarmup.MAX_PASSES),
            JitWarmup.SETTLED,
            () -> mesh.warmUp(1),
            orchestrator.pid(),
            worker.pid());
        for (int p = 0; p < o.passes(); p++) {
          mesh.measure(pipeline, cpu, p);
        }
        worker.close(); // the orchestrator figures run without the worker and processor busy
        processor.close();

        // 3. the orchestrator against a bare server with the same client
        System.out.println("-- orchestrator vs a bare grpc-java server");
        ManagedChannel orch = orchestrator.channel();
        SubmitJobResponse submitted =
            OrchestratorServiceGrpc.newBlockingStub(orch)
                .submitJob(OrchestratorFigures.submit("bench-idle"));
        String jobId = submitted.getJob().getId();
        GetJobResponse job =
            OrchestratorServiceGrpc.newBlockingStub(orch)
                .getJob(GetJobRequest.newBuilder().setJobId(jobId).build());
        OrchestratorServiceGrpc.newBlockingStub(orch)
            .submitJob(OrchestratorFigures.submit("bench-dispatch"));
        PollTaskResponse task =
            TaskQueueServiceGrpc.newBlockingStub(orch)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .pollTask(
                    PollTaskRequest.newBuilder()
                        .setWorkerId("bench-seed")
                        .addProcessors("bench.dispatch")
                        .setSlotsTotal(1)
                        .build());
        // done with it: a lease left to expire would hand this task to the dispatch figure's idle
        // poller
        TaskQueueServiceGrpc.newBlockingStub(orch)
            .completeTask(
                dev.docmesh.proto.orchestrator.v1.CompleteTaskRequest.newBuilder()
                    .setTaskId(task.getTask().getTaskId())
                    .setLeaseToken(task.getTask().getLeaseToken())
                    .setWorkerId("bench-seed")
                    .setOutput(
                        dev.docmesh.proto.document.v1.StageOutput.newBuilder()
                            .setCustom(com.google.protobuf.Struct.getDefaultInstance()))
                    .build());
        try (EchoServer echo = new EchoServer(job, submitted, task)) {
          ManagedChannel echoChannel = Clients.channel(echo.target());
          try {
            OrchestratorFigures of = new OrchestratorFigures(orch, echoChannel, sizes);
            for (int w = 0; w < Math.max(1, o.warmup() / 5); w++) { // warm both JITs on every path
              of.getJob(new Figure("warm-up", "", "", false), jobId);
              of.submitClosedLoop(new Figure("warm-up", "", "", false));
              of.noopTasks(new Figure("warm-up", "", "", false));
            }
            for (int p = 0; p < o.passes(); p++) {
              of.limitFirst(p % 2 == 1);
              of.noopTasks(noop);
              of.submitClosedLoop(submit);
              of.submitOpenLoop(submitP50, submitP99);
              of.dispatch(dispatch, jobId);
              of.progress(progress, jobId);
              of.getJob(getJob, jobId);
            }
          } finally {
            echoChannel.shutdownNow();
          }
        }
      }
    }
    String loadAfter = loadAverage();
    String md = markdown(figures, o, corpus, started, loadBefore, loadAfter);
    System.out.println();
    System.out.println(md);
    if (o.out() != null) {
      Files.writeString(o.out(), md);
    }
    return 0;
  }

  static ServiceProcess startOrchestrator(Path root, Path work) throws IOException {
    return startOrchestrator(root, work, BenchSecurity.OFF);
  }

  /** An orchestrator for a mesh, deployed as its StatefulSet deploys it ({@link DeployedJvm}). */
  static ServiceProcess startOrchestrator(Path root, Path work, BenchSecurity security)
      throws IOException {
    return ServiceProcess.start(root, "orchestrator", orchestratorEnv(work), work, security);
  }

  /**
   * The bench orchestrator's environment: data under {@code work}, the bench pipelines (written
   * there) and their processors, no backlog limit.
   */
  static Map<String, String> orchestratorEnv(Path work) throws IOException {
    Path pipelines = work.resolve("bench-pipelines.yaml");
    Files.writeString(pipelines, OrchestratorFigures.PIPELINES_YAML);
    Map<String, String> env = new HashMap<>();
    env.put("DOCMESH_DATA_DIR", work.resolve("orchestrator").toString());
    env.put("DOCMESH_PIPELINES_FILE", pipelines.toString());
    env.put(
        "DOCMESH_KNOWN_PROCESSORS",
        "pdf.validate,pdf.metadata,pdf.text,pdf.structure,pdf.relationships,text.plain,text.markdown,"
            + OrchestratorFigures.BENCH_PROCESSORS);
    env.put("DOCMESH_MAX_PENDING_TASKS", "10000000"); // SubmitJob figures leave their jobs queued
    return env;
  }

  /**
   * {@code health HOST:PORT}: whether the server's health check answers SERVING (run.sh waits with
   * it).
   */
  static boolean serving(String target) {
    ManagedChannel ch = Clients.channel(target);
    try {
      return io.grpc.health.v1.HealthGrpc.newBlockingStub(ch)
              .withDeadlineAfter(2, TimeUnit.SECONDS)
              .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance())
              .getStatus()
          == io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING;
    } catch (io.grpc.StatusRuntimeException e) {
      return false;
    } finally {
      ch.shutdownNow();
    }
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "n/a";
    }
  }

  static String markdown(
      List<Figure> figures,
      Options o,
      Corpus corpus,
      String started,
      String loadBefore,
      String loadAfter) {
    StringBuilder sb = new StringBuilder();
    sb.append("docmesh-bench ")
        .append(started)
        .append(o.smoke() ? " — SMOKE run: tiny counts, the figures mean nothing" : "")
        .append("\n\n");
    sb.append(
        String.format(
            Locale.ROOT,
            "%d cores, %d documents / %d pages, %d passes after at least %d warm-up passes (until the JITs settle); "
                + "load average (1/5/15 min) before %s, after %s%n%n",
            Runtime.getRuntime().availableProcessors(),
            corpus.docs().size(),
            corpus.pages(),
            o.passes(),
            o.warmup(),
            loadBefore,
            loadAfter));
    sb.append("Each cell: median [min–max] over the passes; the ratio is taken per pass.\n\n");
    sb.append("| figure | value | limit (same run) | ratio |\n|---|---|---|---|\n");
    for (Figure f : figures) {
      if (!f.empty()) {
        sb.append(f.markdownRow()).append('\n');
      }
    }
    return sb.toString();
  }
}
