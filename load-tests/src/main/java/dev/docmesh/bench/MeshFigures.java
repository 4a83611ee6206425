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

  void warmUp(int passes) {
    for (int i = 0; i < passes; i++) {
      directPass();
      if (i % 3 == 0) {
        meshPass();
      }
    }
  }

  /** One pass of both sides; odd passes run the direct side first. */
  void measure(Figure efficiency, Figure cpu, int pass) {
    double straight = pass % 2 == 1 ? directPass() : Double.NaN;
    double o0 = orchestrator.cpuSeconds();
    double w0 = worker.cpuSeconds();
    double p0 = processor.cpuSeconds();
    double mesh = meshPass();
    double o1 = orchestrator.cpuSeconds();
    double w1 = worker.cpuSeconds();
    double p1 = processor.cpuSeconds();
    if (pass % 2 == 0) {
      straight = directPass();
    }
    efficiency.add(mesh, straight);
    int n = corpus.docs().size();
    cpu.add(((o1 - o0) + (w1 - w0)) / n, (p1 - p0) / n);
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
