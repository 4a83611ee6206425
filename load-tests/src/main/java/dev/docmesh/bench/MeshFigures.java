package dev.docmesh.bench;

import com.google.protobuf.ByteString;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The corpus through the whole running mesh (pdf-standard) ÷ the same five processors called
 * straight on processor-svc with the same concurrency; and where the CPU goes meanwhile.
 */
final class MeshFigures {
  private final Corpus corpus;
  private final ServiceProcess orchestrator;
  private final ServiceProcess worker;
  private final ServiceProcess processor;
  private final Processors direct;
  private final int concurrency;
  private final ThreadTimes threads = new ThreadTimes();

  /** Documents/s through the mesh ÷ the five processors called straight by {@code callers}. */
  static Figure pipeline(int workerSlots, int callers) {
    return new Figure(
        "corpus through the mesh (pdf-standard), " + workerSlots + " worker slots",
        "docs/s",
        "5 processors straight on processor-svc, " + callers + " callers",
        false);
  }

  /** CPU per document in orchestrator + worker ÷ in processor-svc. */
  static Figure cpuPerDocument() {
    return new Figure(
        "CPU per document in orchestrator + worker", "CPU-s/doc", "in processor-svc", true);
  }

  MeshFigures(
      Corpus corpus,
      ServiceProcess orchestrator,
      ServiceProcess worker,
      ServiceProcess processor,
      int concurrency) {
    this.corpus = corpus;
    this.orchestrator = orchestrator;
    this.worker = worker;
    this.processor = processor;
    this.direct = new Processors(processor.channel());
    this.concurrency = concurrency;
  }

  /**
   * worker-svc with {@code slots} slots polling {@code orchestrator}, calling {@code processor}.
   */
  static ServiceProcess startWorker(
      java.nio.file.Path root,
      java.nio.file.Path work,
      ServiceProcess orchestrator,
      ServiceProcess processor,
      int slots) {
    return startWorker(root, work, orchestrator, processor, slots, BenchSecurity.OFF);
  }

  static ServiceProcess startWorker(
      java.nio.file.Path root,
      java.nio.file.Path work,
      ServiceProcess orchestrator,
      ServiceProcess processor,
      int slots,
      BenchSecurity security) {
    return ServiceProcess.start(
        root,
        "worker",
        Map.of(
            "DOCMESH_ORCHESTRATOR_TARGET",
            "dns:///" + orchestrator.target(),
            "DOCMESH_PROCESSOR_TARGET",
            "dns:///" + processor.target(),
            "DOCMESH_WORKER_SLOTS",
            Integer.toString(slots),
            // the machine is shared: CPU backpressure would measure the neighbours
            "DOCMESH_WORKER_MAX_CPU",
            "1",
            "DOCMESH_WORKER_POLL_WAIT",
            "5s"),
        work,
        security);
  }

  /**
   * Both sides every pass: the worker's and orchestrator's JIT needs the mesh passes themselves (a
   * mesh pass every third warm-up pass left 43 % of the worker's measured CPU in the JIT).
   */
  void warmUp(int passes) {
    for (int i = 0; i < passes; i++) {
      directPass();
      meshPass();
    }
  }

  /** The services' threads over the measured passes so far (markdown; empty off Linux). */
  String perThread() {
    return threads.table();
  }

  private Map<String, Map<String, long[]>> threadTimes() {
    Map<String, Map<String, long[]>> now = new java.util.LinkedHashMap<>();
    now.put("orchestrator", ThreadTimes.read(orchestrator.pid()));
    now.put("worker", ThreadTimes.read(worker.pid()));
    now.put("processor", ThreadTimes.read(processor.pid()));
    return now;
  }

  /** One pass of both sides; odd passes run the direct side first. */
  void measure(Figure efficiency, Figure cpu, int pass) {
    measure(efficiency, cpu, null, null, pass);
  }

  /**
   * Same, and the orchestrator's and the worker's CPU a document on their own (each ÷
   * processor-svc's CPU a document in the same mesh pass), when those figures are given.
   */
  void measure(Figure efficiency, Figure cpu, Figure orchCpu, Figure workerCpu, int pass) {
    measure(efficiency, cpu, orchCpu, workerCpu, null, pass);
  }

  /**
   * Same, and {@code noJit}: orchestrator + worker CPU a document less the time their JITs spent
   * compiling meanwhile (÷ processor-svc's CPU less its JIT's), the figure a long-running mesh
   * converges to.
   */
  void measure(
      Figure efficiency, Figure cpu, Figure orchCpu, Figure workerCpu, Figure noJit, int pass) {
    double straight = pass % 2 == 1 ? directPass() : Double.NaN;
    double jit0 = noJit != null ? meshJit() : 0;
    double pj0 = noJit != null ? ProcCpu.jitSeconds(processor.pid()) : 0;
    Map<String, Map<String, long[]>> threads0 = threadTimes();
    double o0 = orchestrator.cpuSeconds();
    double w0 = worker.cpuSeconds();
    double p0 = processor.cpuSeconds();
    double mesh = meshPass();
    double o1 = orchestrator.cpuSeconds();
    double w1 = worker.cpuSeconds();
    double p1 = processor.cpuSeconds();
    Map<String, Map<String, long[]>> threads1 = threadTimes();
    threads0.forEach((service, before) -> threads.add(service, before, threads1.get(service)));
    threads.documents(corpus.docs().size());
    if (noJit != null) {
      double jit = meshJit() - jit0;
      double pj = ProcCpu.jitSeconds(processor.pid()) - pj0;
      int docs = corpus.docs().size();
      noJit.add(((o1 - o0) + (w1 - w0) - jit) / docs, (p1 - p0 - pj) / docs);
      System.out.printf(
          java.util.Locale.ROOT,
          "  pass %d  JIT compiling: orchestrator + worker %.2f s of %.2f CPU-s, processor %.2f s of"
              + " %.2f CPU-s%n",
          pass + 1,
          jit,
          (o1 - o0) + (w1 - w0),
          pj,
          p1 - p0);
    }
    if (pass % 2 == 0) {
      straight = directPass();
    }
    efficiency.add(mesh, straight);
    int n = corpus.docs().size();
    cpu.add(((o1 - o0) + (w1 - w0)) / n, (p1 - p0) / n);
    if (orchCpu != null) {
      orchCpu.add((o1 - o0) / n, (p1 - p0) / n);
    }
    if (workerCpu != null) {
      workerCpu.add((w1 - w0) / n, (p1 - p0) / n);
    }
  }

  private double meshJit() {
    return ProcCpu.jitSeconds(orchestrator.pid(), worker.pid());
  }

  /** Documents per second: every corpus PDF submitted at once, until the last job has SUCCEEDED. */
  double meshPass() {
    OrchestratorServiceGrpc.OrchestratorServiceStub stub =
        OrchestratorServiceGrpc.newStub(orchestrator.channel());
    OrchestratorServiceGrpc.OrchestratorServiceBlockingStub blocking =
        OrchestratorServiceGrpc.newBlockingStub(orchestrator.channel());
    int n = corpus.docs().size();
    CountDownLatch ended = new CountDownLatch(n);
    Map<String, JobState> outcome = new ConcurrentHashMap<>();
    long start = System.nanoTime();
    for (Corpus.Doc d : corpus.docs()) {
      String jobId =
          blocking
              .withDeadlineAfter(60, TimeUnit.SECONDS)
              .submitJob(
                  SubmitJobRequest.newBuilder()
                      .setContent(ByteString.copyFrom(d.bytes()))
                      .setFilename(d.name())
                      .setMediaType("application/pdf")
                      .setPipeline("pdf-standard")
                      .setRequestId("bench-" + UUID.randomUUID())
                      .build())
              .getJob()
              .getId();
      stub.withDeadlineAfter(10, TimeUnit.MINUTES)
          .watchJob(
              WatchJobRequest.newBuilder().setJobId(jobId).build(),
              new StreamObserver<WatchJobResponse>() {
                @Override
                public void onNext(WatchJobResponse r) {
                  JobState s = r.getEvent().getJobState();
                  if ((s == JobState.JOB_STATE_SUCCEEDED
                          || s == JobState.JOB_STATE_FAILED
                          || s == JobState.JOB_STATE_CANCELLED)
                      && outcome.putIfAbsent(d.name(), s) == null) {
                    ended.countDown();
                  }
                }

                @Override
                public void onError(Throwable t) {
                  if (outcome.putIfAbsent(d.name(), JobState.JOB_STATE_UNSPECIFIED) == null) {
                    ended.countDown();
                  }
                }

                @Override
                public void onCompleted() {}
              });
    }
    try {
      if (!ended.await(10, TimeUnit.MINUTES)) {
        throw new IllegalStateException("mesh pass: jobs still running after 10 min: " + outcome);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    outcome.forEach(
        (doc, s) -> {
          if (s != JobState.JOB_STATE_SUCCEEDED) {
            throw new IllegalStateException(
                "mesh pass: " + doc + " ended " + s + "\nworker log:\n" + worker.tail());
          }
        });
    return n / seconds;
  }

  /** Documents per second: the five processors of pdf-standard straight on processor-svc. */
  double directPass() {
    return corpus.docs().size() / Parallel.run(corpus.docs(), concurrency, direct::pdfStandard);
  }
}
