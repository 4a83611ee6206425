package dev.docmesh.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Struct;
import dev.docmesh.docgen.Corpus;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.proto.document.v1.DocumentMetadata;
import dev.docmesh.proto.orchestrator.v1.CancelJobRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobResultRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobResult;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import dev.docmesh.proto.orchestrator.v1.TaskStateChanged;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import dev.docmesh.proto.worker.v1.DrainRequest;
import dev.docmesh.proto.worker.v1.GetWorkerStatusRequest;
import dev.docmesh.proto.worker.v1.WorkerServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker between the real orchestrator and the real processor, over gRPC on loopback. */
class MeshEndToEndTest {
  private static final Duration JOB_WAIT = Duration.ofSeconds(60);

  /** pdf.text over this many pages takes seconds: long enough to act while it runs. */
  // long enough that a quiet machine is still mid-task when the test acts (400 pages ended in ~1 s)
  private static final int LONG_PAGES = 1200;

  @TempDir Path dataDir;
  private RealMesh mesh;

  @AfterEach
  void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void corpusPdfsRunThroughPdfStandardAndMatchExpectedJson() {
    mesh = new RealMesh(dataDir, Duration.ofSeconds(10));
    mesh.startWorker("w1", Map.of("DOCMESH_WORKER_SLOTS", "2"));
    for (String file :
        List.of("pdflatex-4-pages.pdf", "libre-office-link.pdf", "imagemagick-ASCII85Decode.pdf")) {
      String id = mesh.submit(Corpus.read(file), file, "pdf-standard");
      Job job = mesh.awaitTerminal(id, JOB_WAIT);
      assertThat(job.getState())
          .as("%s: %s", file, job.getError())
          .isEqualTo(JobState.JOB_STATE_SUCCEEDED);

      JobResult result =
          mesh.jobs.getJobResult(GetJobResultRequest.newBuilder().setJobId(id).build()).getResult();
      assertMatchesExpected(file, result.getMetadata(), Corpus.expected(file));
      assertThat(result.getPagesCount()).isEqualTo(result.getMetadata().getPageCount());
      assertThat(result.getValidation().getValid()).isTrue();
      assertOneSuccessPerStage(mesh.events(id), job);
    }
  }

  @Test
  void encryptedCorpusPdfRunsWithThePasswordGivenAtSubmit() {
    mesh = new RealMesh(dataDir, Duration.ofSeconds(10));
    mesh.startWorker("w1");
    String file = "libreoffice-writer-password.pdf";
    String id =
        mesh.jobs
            .submitJob(
                SubmitJobRequest.newBuilder()
                    .setContent(com.google.protobuf.ByteString.copyFrom(Corpus.read(file)))
                    .setFilename(file)
                    .setPipeline("pdf-standard")
                    .setPassword("openpassword")
                    .build())
            .getJob()
            .getId();
    Job job = mesh.awaitTerminal(id, JOB_WAIT);
    assertThat(job.getState()).as("%s", job.getError()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    JobResult result =
        mesh.jobs.getJobResult(GetJobResultRequest.newBuilder().setJobId(id).build()).getResult();
    assertMatchesExpected(file, result.getMetadata(), Corpus.expected(file));
    assertThat(result.getValidation().getPasswordOpened()).isTrue();
  }

  @Test
  void workerKilledMidTaskTheTaskIsReleasedAfterLeaseExpiryAndTheJobCompletesOnce()
      throws Exception {
    mesh = new RealMesh(dataDir, Duration.ofSeconds(2));
    Process doomed = mesh.forkWorker("doomed", dataDir.resolve("doomed.log"));
    LiveEvents live = longTextJobRunningOn("doomed");
    String id = live.jobId;
    // mid-task: the processor is working through the pages for "doomed"
    doomed.destroyForcibly().waitFor();
    long killed = System.nanoTime();

    mesh.startWorker("survivor");
    Job job = mesh.awaitTerminal(id, JOB_WAIT);
    assertThat(job.getState()).as("%s", job.getError()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    assertThat(live.leased("text", "survivor")).isTrue();
    assertThat(job.getStages(0).getAttempt()).isEqualTo(2);
    assertThat(Duration.ofNanos(System.nanoTime() - killed)).isGreaterThan(Duration.ofSeconds(1));
    JobResult result =
        mesh.jobs.getJobResult(GetJobResultRequest.newBuilder().setJobId(id).build()).getResult();
    assertThat(result.getPagesCount()).isEqualTo(LONG_PAGES);
    assertOneSuccessPerStage(mesh.events(id), job);
  }

  @Test
  void sigtermMidTaskHandsTheTaskBackAndTheProcessExits() throws Exception {
    // a long lease: a re-lease within seconds can only come from the hand-back
    mesh = new RealMesh(dataDir, Duration.ofSeconds(60));
    Process stopping =
        mesh.forkWorker(
            "stopping", dataDir.resolve("stopping.log"), Map.of("DOCMESH_SHUTDOWN_GRACE", "200ms"));
    LiveEvents live = longTextJobRunningOn("stopping");
    String id = live.jobId;

    long signalled = System.nanoTime();
    stopping.destroy(); // SIGTERM: the JVM's shutdown hook drains the worker
    assertThat(stopping.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).as("exited").isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(Duration.ofSeconds(15));
    assertThat(java.nio.file.Files.readString(dataDir.resolve("stopping.log")))
        .contains("handed_back");

    mesh.startWorker("taker");
    Job job = mesh.awaitTerminal(id, JOB_WAIT);
    assertThat(job.getState()).as("%s", job.getError()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    assertThat(live.leased("text", "taker")).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - signalled))
        .as("well before the lease would expire")
        .isLessThan(Duration.ofSeconds(45));
    assertOneSuccessPerStage(mesh.events(id), job);
  }

  @Test
  void drainMidTaskHandsTheTaskBackAtOnceAndTheJobCompletes() {
    // a long lease: a re-lease within seconds can only come from the hand-back
    mesh = new RealMesh(dataDir, Duration.ofSeconds(60));
    MeshServer draining = mesh.startWorker("draining");
    LiveEvents live = longTextJobRunningOn("draining");
    String id = live.jobId;

    ManagedChannel channel = Loopback.channel(draining.grpcPort());
    try {
      WorkerServiceGrpc.newBlockingStub(channel)
          .drain(
              DrainRequest.newBuilder()
                  .setGrace(com.google.protobuf.Duration.getDefaultInstance())
                  .setReason("test")
                  .build());
    } finally {
      channel.shutdownNow();
    }
    long drained = System.nanoTime();
    mesh.startWorker("taker");
    await().atMost(JOB_WAIT).until(() -> live.leased("text", "taker"));
    assertThat(Duration.ofNanos(System.nanoTime() - drained)).isLessThan(Duration.ofSeconds(20));
    Job job = mesh.awaitTerminal(id, JOB_WAIT);
    assertThat(job.getState()).as("%s", job.getError()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    assertThat(
            RealMesh.sample(
                draining,
                "docmesh_worker_tasks_total",
                "processor",
                "pdf.text",
                "outcome",
                "handed_back"))
        .isEqualTo(1);
    assertOneSuccessPerStage(mesh.events(id), job);
  }

  @Test
  void processorDownThenBackTheTaskWaitsAndCompletesAndTheBreakerOpensAndCloses() {
    mesh = new RealMesh(dataDir, Duration.ofSeconds(5));
    MeshServer worker =
        mesh.startWorker(
            "w1",
            Map.of(
                "DOCMESH_WORKER_BREAKER_FAILURES",
                "2",
                "DOCMESH_WORKER_BREAKER_COOLDOWN",
                "500ms"));
    String target = "dns:///127.0.0.1:" + mesh.processor().grpcPort();
    // the worker has learnt the processors before they go away
    await()
        .atMost(JOB_WAIT)
        .until(
            () ->
                !mesh.jobs
                    .listWorkers(
                        dev.docmesh.proto.orchestrator.v1.ListWorkersRequest.getDefaultInstance())
                    .getWorkersList()
                    .isEmpty());

    mesh.stopProcessor();
    String file = "pdflatex-4-pages.pdf";
    String id = mesh.submit(Corpus.read(file), file, RealMesh.single("metadata", "pdf.metadata"));
    await()
        .atMost(JOB_WAIT)
        .until(
            () -> RealMesh.sample(worker, "docmesh_worker_circuit_open", "target", target) == 1.0);
    assertThat(mesh.job(id).getState()).isNotIn(RealMesh.TERMINAL);

    mesh.restartProcessor();
    Job job = mesh.awaitTerminal(id, JOB_WAIT);
    assertThat(job.getState()).as("%s", job.getError()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    assertThat(RealMesh.sample(worker, "docmesh_worker_circuit_open", "target", target)).isZero();
    JobResult result =
        mesh.jobs.getJobResult(GetJobResultRequest.newBuilder().setJobId(id).build()).getResult();
    assertThat(result.getMetadata().getPageCount()).isEqualTo(4);
  }

  @Test
  void cancellingARunningJobCancelsTheProcessorCall() {
    mesh = new RealMesh(dataDir, Duration.ofSeconds(3));
    MeshServer worker = mesh.startWorker("w1");
    LiveEvents live = longTextJobRunningOn("w1");
    String id = live.jobId;

    mesh.jobs.cancelJob(CancelJobRequest.newBuilder().setJobId(id).setReason("test").build());
    Job job = mesh.awaitTerminal(id, JOB_WAIT);
    assertThat(job.getState()).isEqualTo(JobState.JOB_STATE_CANCELLED);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                RealMesh.sample(
                        worker,
                        "docmesh_worker_tasks_total",
                        "processor",
                        "pdf.text",
                        "outcome",
                        "cancelled")
                    == 1);
    // the processor saw its call cancelled (and stopped the work), it did not run to the end
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                RealMesh.sample(
                        mesh.processor(),
                        "docmesh_processor_calls_total",
                        "processor",
                        "pdf.text",
                        "outcome",
                        "cancelled")
                    == 1);
    // stopped part-way: the processor never finished the call, nor reached the last page
    assertThat(
            RealMesh.sample(
                mesh.processor(),
                "docmesh_processor_calls_total",
                "processor",
                "pdf.text",
                "outcome",
                "ok"))
        .isZero();
    assertThat(
            RealMesh.sample(
                mesh.processor(), "docmesh_processor_pages_total", "processor", "pdf.text"))
        .isLessThan(LONG_PAGES);
  }

  @Test
  void twoWorkersManyJobsWorkSpreadsAndNoTaskCompletesTwice() {
    mesh = new RealMesh(dataDir, Duration.ofSeconds(10));
    MeshServer a = mesh.startWorker("a", Map.of("DOCMESH_WORKER_SLOTS", "2"));
    MeshServer b = mesh.startWorker("b", Map.of("DOCMESH_WORKER_SLOTS", "2"));
    List<String> files =
        List.of(
            "minimal-document.pdf",
            "pdflatex-4-pages.pdf",
            "002-trivial-libre-office-writer.pdf",
            "google-doc-document.pdf");
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < 16; i++) {
      String file = files.get(i % files.size());
      ids.add(mesh.submit(Corpus.read(file), file, "pdf-standard"));
    }
    int stages = 0;
    for (String id : ids) {
      Job job = mesh.awaitTerminal(id, JOB_WAIT);
      assertThat(job.getState())
          .as("%s: %s", id, job.getError())
          .isEqualTo(JobState.JOB_STATE_SUCCEEDED);
      assertOneSuccessPerStage(mesh.events(id), job);
      stages += job.getStagesCount();
    }
    long completedA = completed(a);
    long completedB = completed(b);
    assertThat(completedA).as("tasks completed by a").isPositive();
    assertThat(completedB).as("tasks completed by b").isPositive();
    // every stage completed exactly once over both workers: no second completion was accepted
    assertThat(completedA + completedB).isEqualTo((long) stages);
  }

  /** Tasks the worker says it completed, over its own WorkerService. */
  private static long completed(MeshServer worker) {
    ManagedChannel channel = Loopback.channel(worker.grpcPort());
    try {
      return WorkerServiceGrpc.newBlockingStub(channel)
          .getWorkerStatus(GetWorkerStatusRequest.getDefaultInstance())
          .getStatus()
          .getTasksCompleted();
    } finally {
      channel.shutdownNow();
    }
  }

  private static void assertMatchesExpected(String file, DocumentMetadata m, Struct expected) {
    var f = expected.getFieldsMap();
    assertThat(m.getPageCount()).as(file).isEqualTo((int) f.get("pages").getNumberValue());
    assertThat(m.getEncrypted()).as(file).isEqualTo(f.get("encrypted").getBoolValue());
    String producer = f.get("producer").hasNullValue() ? "" : f.get("producer").getStringValue();
    assertThat(m.getProducer()).as(file).isEqualTo(producer);
    String created =
        f.get("creation_date_raw").hasNullValue()
            ? ""
            : f.get("creation_date_raw").getStringValue();
    assertThat(m.getCreationDateRaw()).as(file).isEqualTo(created);
    assertThat(m.getHasAcroForm()).as(file).isEqualTo(f.get("has_acro_form").getBoolValue());
    Map<String, Integer> annotations =
        f.get("annotations").getStructValue().getFieldsMap().entrySet().stream()
            .collect(Collectors.toMap(Map.Entry::getKey, e -> (int) e.getValue().getNumberValue()));
    assertThat(m.getAnnotationCountsMap()).as(file).isEqualTo(annotations);
  }

  /** Each stage reached SUCCEEDED exactly once: one output per stage, none completed twice. */
  private static void assertOneSuccessPerStage(List<JobEvent> events, Job job) {
    Map<String, Long> successes =
        events.stream()
            .filter(JobEvent::hasTaskStateChanged)
            .map(JobEvent::getTaskStateChanged)
            .filter(t -> t.getTo() == TaskState.TASK_STATE_SUCCEEDED)
            .collect(Collectors.groupingBy(TaskStateChanged::getStage, Collectors.counting()));
    Map<String, Long> once =
        job.getStagesList().stream().collect(Collectors.toMap(s -> s.getName(), s -> 1L));
    assertThat(successes).as("successes per stage of %s", job.getId()).isEqualTo(once);
  }

  /** A pdf.text job over a long PDF, watched from the start, once {@code worker} is running it. */
  private LiveEvents longTextJobRunningOn(String worker) {
    String id =
        mesh.submit(Documents.longPdf(LONG_PAGES), "long.pdf", RealMesh.single("text", "pdf.text"));
    LiveEvents live = LiveEvents.watch(mesh, id);
    await().atMost(JOB_WAIT).until(() -> live.running("text", worker));
    return live;
  }

  /** The events of one job as they happen, collected in the background. */
  static final class LiveEvents {
    final String jobId;
    final List<JobEvent> events = new CopyOnWriteArrayList<>();

    private LiveEvents(String jobId) {
      this.jobId = jobId;
    }

    static LiveEvents watch(RealMesh mesh, String jobId) {
      LiveEvents live = new LiveEvents(jobId);
      OrchestratorServiceGrpc.newStub(mesh.channel)
          .watchJob(
              WatchJobRequest.newBuilder().setJobId(jobId).build(),
              new StreamObserver<WatchJobResponse>() {
                @Override
                public void onNext(WatchJobResponse value) {
                  live.events.add(value.getEvent());
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {}
              });
      return live;
    }

    /** Leased by the worker, and the worker has relayed the processor's progress: mid-task. */
    boolean running(String stage, String workerId) {
      List<TaskStateChanged> leases =
          events.stream()
              .filter(JobEvent::hasTaskStateChanged)
              .map(JobEvent::getTaskStateChanged)
              .filter(
                  t ->
                      t.getStage().equals(stage)
                          && t.getTo() == TaskState.TASK_STATE_LEASED
                          && t.getWorkerId().equals(workerId))
              .toList();
      return leases.stream()
          .anyMatch(
              lease ->
                  events.stream()
                      .filter(JobEvent::hasTaskProgressed)
                      .anyMatch(
                          p ->
                              p.getTaskProgressed().getStage().equals(stage)
                                  && p.getTaskProgressed().getAttempt() == lease.getAttempt()));
    }

    boolean leased(String stage, String workerId) {
      return events.stream()
          .filter(JobEvent::hasTaskStateChanged)
          .map(JobEvent::getTaskStateChanged)
          .anyMatch(
              t ->
                  t.getStage().equals(stage)
                      && t.getTo() == TaskState.TASK_STATE_LEASED
                      && t.getWorkerId().equals(workerId));
    }
  }
}
