package dev.docmesh.bench;

import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * {@code docmesh-bench.jar --secure}: what TLS + authentication cost (issue 14). Two meshes run
 * side by side from the same jars — one plaintext with authentication off, one with mutual TLS
 * between every service and bearer tokens (certificates and tokens from {@code
 * scripts/dev-certs.sh}, the harness's own calls over mutual TLS with a token) — and every pass
 * measures both, alternating which goes first, so both see the same machine: pipeline efficiency
 * (corpus through the mesh ÷ the same processors straight, each side over its own transport) and
 * GetJob throughput, latency and CPU per call.
 */
final class SecurityFigures {
  private static final int SLOTS = 2;
  private final BenchMain.Options o;
  private final int window;
  private final Duration closedLoop;
  private final double rate;
  private final int openLoopCalls;
  private final Figure effOff;
  private final Figure effOn;
  private final Figure effRatio;
  private final Figure meshRate;
  private final Figure cpuOff;
  private final Figure cpuOn;
  private final Figure cpuRatio;
  private final Figure getJobRate;
  private final Figure getJobCpu;
  private final Figure getJobP50;
  private final Figure getJobP99;
  private final List<Figure> figures;

  SecurityFigures(BenchMain.Options o) {
    this.o = o;
    boolean smoke = o.smoke();
    window = smoke ? 8 : 32;
    closedLoop = smoke ? Duration.ofMillis(500) : Duration.ofSeconds(3);
    rate = smoke ? 200 : 500; // load-tests/ghz/get-job.json asks for 500/s
    openLoopCalls = smoke ? 50 : 2500;

    String onName = "mutual TLS + bearer token";
    effOff =
        new Figure(
            "security OFF: corpus through the mesh (pdf-standard), " + SLOTS + " worker slots",
            "docs/s",
            "5 processors straight on processor-svc, " + SLOTS + " callers, plaintext",
            false);
    effOn =
        new Figure(
            "security ON: corpus through the mesh (pdf-standard), " + SLOTS + " worker slots",
            "docs/s",
            "5 processors straight on processor-svc, " + SLOTS + " callers, " + onName,
            false);
    effRatio =
        new Figure(
            "pipeline efficiency (mesh ÷ straight) with security ON", "", "security OFF", false);
    meshRate =
        new Figure("corpus through the mesh with security ON", "docs/s", "security OFF", false);
    cpuOff =
        new Figure(
            "security OFF: CPU per document in orchestrator + worker",
            "CPU-s/doc",
            "in processor-svc",
            true);
    cpuOn =
        new Figure(
            "security ON: CPU per document in orchestrator + worker",
            "CPU-s/doc",
            "in processor-svc",
            true);
    cpuRatio =
        new Figure(
            "CPU per document in orchestrator + worker with security ON",
            "CPU-s/doc",
            "security OFF",
            true);
    getJobRate =
        new Figure(
            "GetJob ceiling, async client, " + window + " in flight, security ON",
            "calls/s",
            "security OFF, same client",
            false);
    getJobCpu =
        new Figure(
            "GetJob CPU per call in the orchestrator (ceiling run), security ON",
            "CPU-µs/call",
            "security OFF",
            true);
    getJobP50 =
        new Figure(
            "GetJob open loop at " + (int) rate + "/s, p50, security ON",
            "ms",
            "security OFF, same rate",
            true);
    getJobP99 =
        new Figure(
            "GetJob open loop at " + (int) rate + "/s, p99, security ON",
            "ms",
            "security OFF, same rate",
            true);
    figures =
        List.of(
            effOff,
            effOn,
            effRatio,
            meshRate,
            cpuOff,
            cpuOn,
            cpuRatio,
            getJobRate,
            getJobCpu,
            getJobP50,
            getJobP99);
  }

  /** The three services of BenchMain's mesh, secured or not. */
  private static final class Mesh implements AutoCloseable {
    final ServiceProcess processor;
    final ServiceProcess orchestrator;
    final ServiceProcess worker;

    private Mesh(ServiceProcess p, ServiceProcess o, ServiceProcess w) {
      this.processor = p;
      this.orchestrator = o;
      this.worker = w;
    }

    static Mesh start(Path root, Path work, BenchSecurity security) throws IOException {
      ServiceProcess p =
          ServiceProcess.start(
              root,
              "processor",
              Map.of("DOCMESH_PROCESSOR_THREADS", Integer.toString(SLOTS)),
              work,
              security);
      ServiceProcess o = null;
      try {
        o = BenchMain.startOrchestrator(root, work, security);
        // as BenchMain's mesh
        ServiceProcess w = MeshFigures.startWorker(root, work, o, p, SLOTS, security);
        return new Mesh(p, o, w);
      } catch (RuntimeException | IOException e) {
        if (o != null) {
          o.close();
        }
        p.close();
        throw e;
      }
    }

    /** The GetJob figures run on the orchestrator alone, as BenchMain's orchestrator figures. */
    void stopWorkerAndProcessor() {
      worker.close();
      processor.close();
    }

    @Override
    public void close() {
      worker.close();
      orchestrator.close();
      processor.close();
    }
  }

  int run() throws IOException {
    String started =
        ZonedDateTime.now(ZoneOffset.UTC)
            .format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
    String loadBefore = BenchMain.loadAverage();
    Corpus corpus = Corpus.load(o.corpus(), o.docLimit());
    System.out.printf(
        Locale.ROOT,
        "docmesh-bench --secure %s: TLS + auth off vs on, %d documents, %d pages, %d passes after"
            + " %d warm-up passes, load %s%n",
        o.smoke() ? "SMOKE (tiny counts, figures mean nothing)" : "",
        corpus.docs().size(),
        corpus.pages(),
        o.passes(),
        o.warmup(),
        loadBefore);
    try (WorkDir workDir = WorkDir.create("docmesh-bench-secure");
        BenchSecurity security =
            BenchSecurity.devCerts(o.root(), workDir.path().resolve("certs"))) {
      Mesh[] meshes = startSideBySide(workDir.path(), security);
      try (Mesh off = meshes[0];
          Mesh on = meshes[1]) {
        measure(corpus, off, on, security);
      }
    }
    String loadAfter = BenchMain.loadAverage();
    String md =
        BenchMain.markdown(figures, o, corpus, started, loadBefore, loadAfter)
            + "\nSecurity ON: every service with DOCMESH_TLS_CERT_FILE/KEY_FILE/CA_FILE (mutual TLS),"
            + " DOCMESH_AUTH_TOKENS_FILE and DOCMESH_AUTH_CERT_ROLES=worker=worker,monitor=monitor"
            + " (scripts/dev-certs.sh); the harness calls over mutual TLS with a bearer token."
            + " Checked before measuring: a plaintext call and a call without a token are refused."
            + " Security OFF: plaintext, authentication off. Both meshes ran side by side, measured"
            + " alternately.\n";
    System.out.println();
    System.out.println(md);
    if (o.out() != null) {
      Files.writeString(o.out(), md);
    }
    return 0;
  }

  /** Both meshes, measured pass by pass, alternating which goes first. */
  private void measure(Corpus corpus, Mesh off, Mesh on, BenchSecurity security) {
    requireSecured(on, security);
    System.out.println("-- pipeline efficiency, security off and on");
    MeshFigures meshOff =
        new MeshFigures(corpus, off.orchestrator, off.worker, off.processor, SLOTS);
    MeshFigures meshOn = new MeshFigures(corpus, on.orchestrator, on.worker, on.processor, SLOTS);
    Corpus.Doc seedDoc = corpus.docs().get(0);
    String jobOff = Seed.seed(off.orchestrator.channel(), seedDoc.bytes(), seedDoc.name());
    String jobOn = Seed.seed(on.orchestrator.channel(), seedDoc.bytes(), seedDoc.name());
    // a smoke (warm-up 1) goes straight to its one measured pass
    for (int w = 0; w < o.warmup() / 2; w++) {
      meshOff.warmUp(1);
      meshOn.warmUp(1);
    }
    for (int p = 0; p < o.passes(); p++) {
      if (p % 2 == 0) {
        meshOff.measure(effOff, cpuOff, p);
        meshOn.measure(effOn, cpuOn, p);
      } else {
        meshOn.measure(effOn, cpuOn, p);
        meshOff.measure(effOff, cpuOff, p);
      }
      effRatio.add(last(effOn.ratios), last(effOff.ratios));
      meshRate.add(last(effOn.values), last(effOff.values));
      cpuRatio.add(last(cpuOn.values), last(cpuOff.values));
    }
    off.stopWorkerAndProcessor();
    on.stopWorkerAndProcessor();

    System.out.println("-- GetJob, security off and on");
    GetJobLoad gOff = new GetJobLoad(off.orchestrator, jobOff);
    GetJobLoad gOn = new GetJobLoad(on.orchestrator, jobOn);
    for (int w = 0; w < o.warmup() / 5 * 2; w++) {
      gOff.ceiling(window, closedLoop);
      gOn.ceiling(window, closedLoop);
      gOff.openLoop(rate, openLoopCalls);
      gOn.openLoop(rate, openLoopCalls);
    }
    for (int p = 0; p < o.passes(); p++) {
      GetJobLoad first = p % 2 == 0 ? gOff : gOn;
      GetJobLoad second = p % 2 == 0 ? gOn : gOff;
      double[] c1 = first.ceiling(window, closedLoop);
      double[] c2 = second.ceiling(window, closedLoop);
      double[] cOff = first == gOff ? c1 : c2;
      double[] cOn = first == gOff ? c2 : c1;
      getJobRate.add(cOn[0], cOff[0]);
      getJobCpu.add(cOn[1], cOff[1]);
      AsyncLoad.Result l1 = first.openLoop(rate, openLoopCalls);
      AsyncLoad.Result l2 = second.openLoop(rate, openLoopCalls);
      AsyncLoad.Result lOff = first == gOff ? l1 : l2;
      AsyncLoad.Result lOn = first == gOff ? l2 : l1;
      getJobP50.add(
          Stats.percentileMillis(lOn.latenciesNanos(), 50),
          Stats.percentileMillis(lOff.latenciesNanos(), 50));
      getJobP99.add(
          Stats.percentileMillis(lOn.latenciesNanos(), 99),
          Stats.percentileMillis(lOff.latenciesNanos(), 99));
    }
  }

  /** The two meshes start at once (each its three JVMs in turn): half the wait. */
  private Mesh[] startSideBySide(Path work, BenchSecurity security) throws IOException {
    CompletableFuture<Mesh> on =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return Mesh.start(o.root(), work.resolve("on"), security);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    Mesh off;
    try {
      off = Mesh.start(o.root(), work.resolve("off"), BenchSecurity.OFF);
    } catch (IOException | RuntimeException e) {
      on.thenAccept(Mesh::close);
      throw e;
    }
    try {
      return new Mesh[] {off, on.join()};
    } catch (CompletionException e) {
      off.close();
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  private static double last(List<Double> xs) {
    return xs.get(xs.size() - 1);
  }

  /**
   * The secured mesh really is: a plaintext client gets no answer (not even health), and a
   * mutual-TLS client without a token is UNAUTHENTICATED; the harness's own channel is answered.
   */
  static void requireSecured(Mesh on, BenchSecurity security) {
    for (ServiceProcess s : List.of(on.orchestrator, on.processor)) {
      ManagedChannel plain = Clients.channel(s.target());
      try {
        HealthGrpc.newBlockingStub(plain)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance());
        throw new IllegalStateException(s.name() + " answered a plaintext call: not secured");
      } catch (StatusRuntimeException expected) {
        if (expected.getStatus().getCode() != Status.Code.UNAVAILABLE) {
          throw new IllegalStateException(
              s.name() + ": plaintext call answered " + expected.getStatus() + ", not UNAVAILABLE");
        }
      } finally {
        plain.shutdownNow();
      }
    }
    ManagedChannel noToken = Clients.channel(security.withoutToken(), on.orchestrator.target());
    try {
      OrchestratorServiceGrpc.newBlockingStub(noToken)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .getJob(GetJobRequest.newBuilder().setJobId("job-none").build());
      throw new IllegalStateException("the orchestrator answered GetJob without a token");
    } catch (StatusRuntimeException expected) {
      if (expected.getStatus().getCode() != Status.Code.UNAUTHENTICATED) {
        throw new IllegalStateException(
            "GetJob without a token answered " + expected.getStatus() + ", not UNAUTHENTICATED");
      }
    } finally {
      noToken.shutdownNow();
    }
    System.out.println(
        "security ON checked: plaintext calls UNAVAILABLE (orchestrator, processor), no token"
            + " UNAUTHENTICATED");
  }

  /** GetJob of one finished job, closed and open loop, through the harness's channel. */
  private static final class GetJobLoad {
    private final ServiceProcess orchestrator;
    private final OrchestratorServiceGrpc.OrchestratorServiceFutureStub stub;
    private final GetJobRequest request;

    GetJobLoad(ServiceProcess orchestrator, String jobId) {
      this.orchestrator = orchestrator;
      this.stub = OrchestratorServiceGrpc.newFutureStub(orchestrator.channel());
      this.request = GetJobRequest.newBuilder().setJobId(jobId).build();
    }

    /** {calls/s, orchestrator CPU-µs per call}. */
    double[] ceiling(int window, Duration duration) {
      double cpu0 = orchestrator.cpuSeconds();
      AsyncLoad.Result r = AsyncLoad.closedLoop(window, duration, () -> stub.getJob(request));
      double cpu1 = orchestrator.cpuSeconds();
      r.requireNoErrors("GetJob (" + orchestrator.target() + ")");
      return new double[] {r.perSecond(), (cpu1 - cpu0) * 1e6 / Math.max(1, r.ok())};
    }

    AsyncLoad.Result openLoop(double rate, int calls) {
      AsyncLoad.Result r = AsyncLoad.openLoop(rate, calls, () -> stub.getJob(request));
      r.requireNoErrors("GetJob open loop (" + orchestrator.target() + ")");
      return r;
    }
  }
}
