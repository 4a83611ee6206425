package dev.docmesh.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.util.JsonFormat;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.orchestrator.OrchestratorMain;
import dev.docmesh.processor.ProcessorMain;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.worker.WorkerMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the CLI promises across a dropped connection, and {@code cancel}: the orchestrator is
 * stopped and started again on the same port and data directory while {@code watch} or {@code
 * submit --watch} follows a job; the CLI must print every event once, in order, and exit with the
 * job's outcome. No worker runs until the orchestrator is back, so the cut always falls in the
 * middle of the job.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CliResumeAndCancelTest {
  private static final Path CORPUS = dev.docmesh.docgen.Corpus.pdfDir();

  @TempDir Path data;
  int orchestratorPort;
  MeshServer orchestrator;
  MeshServer processor;
  MeshServer worker;

  @BeforeEach
  void startOrchestratorAndProcessor() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      orchestratorPort = s.getLocalPort();
    }
    orchestrator = startOrchestrator();
    processor = ProcessorMain.start(Loopback.env());
  }

  @AfterEach
  void stopAll() {
    for (MeshServer s : new MeshServer[] {worker, orchestrator, processor}) {
      if (s != null) {
        s.close();
      }
    }
  }

  private MeshServer startOrchestrator() {
    return OrchestratorMain.start(
        Loopback.env(
            Map.of(
                "DOCMESH_GRPC_PORT", Integer.toString(orchestratorPort),
                "DOCMESH_DATA_DIR", data.resolve("orchestrator").toString())));
  }

  private void startWorker() {
    worker =
        WorkerMain.start(
            Loopback.env(
                Map.of(
                    "DOCMESH_ORCHESTRATOR_TARGET", "dns:///127.0.0.1:" + orchestratorPort,
                    "DOCMESH_PROCESSOR_TARGET", "dns:///127.0.0.1:" + processor.grpcPort())));
  }

  /** A CLI run on its own thread, its output readable while it runs. */
  record Running(CompletableFuture<Integer> code, StringWriter out, StringWriter err) {
    List<JobEvent> events() throws Exception {
      return CliResumeAndCancelTest.events(out.toString());
    }
  }

  /** The events of a {@code --json} watch output, one JSON object a line. */
  static List<JobEvent> events(String out) throws Exception {
    List<JobEvent> events = new ArrayList<>();
    for (String line : out.lines().filter(l -> l.contains("\"sequence\"")).toList()) {
      JobEvent.Builder e = JobEvent.newBuilder();
      JsonFormat.parser().merge(line, e);
      events.add(e.build());
    }
    return events;
  }

  private Running start(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CompletableFuture<Integer> code =
        CompletableFuture.supplyAsync(
            () ->
                Docmesh.run(
                    withTarget(args), new PrintWriter(out, true), new PrintWriter(err, true)));
    return new Running(code, out, err);
  }

  private CliEndToEndTest.Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Docmesh.run(withTarget(args), new PrintWriter(out, true), new PrintWriter(err, true));
    return new CliEndToEndTest.Run(code, out.toString(), err.toString());
  }

  private String[] withTarget(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--target");
    all.add("127.0.0.1:" + orchestratorPort);
    return all.toArray(String[]::new);
  }

  /**
   * Stops the orchestrator once the CLI follows the job, starts it again, then lets a worker run
   * the job.
   */
  private void cutTheConnectionThenRunTheJob(Running cli) throws Exception {
    await().atMost(Duration.ofSeconds(30)).until(() -> !cli.events().isEmpty());
    orchestrator.close();
    // while the orchestrator is down the CLI keeps trying instead of exiting
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(5))
        .until(() -> !cli.code().isDone());
    orchestrator = startOrchestrator();
    startWorker();
  }

  /** The events the store holds for the job, read by a fresh watch after the end. */
  private List<JobEvent> storedEvents(String jobId) throws Exception {
    CliEndToEndTest.Run all = run("watch", jobId, "--json");
    assertThat(all.code()).as(all.err()).isIn(0, 1);
    return events(all.out());
  }

  /**
   * Every state change once and in order; progress (live only, not stored) in between; the end
   * last.
   */
  private static void assertEveryEventOnceInOrder(
      List<JobEvent> printed, List<JobEvent> stored, JobState end) {
    assertThat(printed).extracting(JobEvent::getSequence).as("sequences printed").isSorted();
    assertThat(printed.stream().filter(e -> !e.hasTaskProgressed()).map(JobEvent::getSequence))
        .as("stored sequences printed")
        .doesNotHaveDuplicates();
    assertThat(stored).noneMatch(JobEvent::hasTaskProgressed);
    assertThat(printed.stream().filter(e -> !e.hasTaskProgressed()).toList())
        .containsExactlyElementsOf(stored.stream().filter(e -> !e.hasTaskProgressed()).toList());
    assertThat(printed.get(printed.size() - 1).getJobStateChanged().getTo()).isEqualTo(end);
  }

  private double watchCallsServed(MeshServer server) throws Exception {
    return Loopback.get(server.metricsPort(), "/metrics")
        .body()
        .lines()
        .filter(
            l ->
                l.startsWith("grpc_server_started_total{")
                    && l.contains("grpc_method=\"WatchJob\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  @Test
  void watchResumesAcrossAnOrchestratorRestartAndExitsZeroWhenTheJobSucceeds() throws Exception {
    CliEndToEndTest.Run submitted =
        run("submit", "--json", CORPUS.resolve("pdflatex-4-pages.pdf").toString());
    assertThat(submitted.code()).as(submitted.err()).isEqualTo(0);
    Job.Builder job = Job.newBuilder();
    JsonFormat.parser().merge(submitted.out().strip(), job);

    Running watch = start("watch", job.getId(), "--json");
    cutTheConnectionThenRunTheJob(watch);

    assertThat(watch.code().get(2, TimeUnit.MINUTES)).as(watch.err().toString()).isEqualTo(0);
    assertThat(watchCallsServed(orchestrator))
        .as("WatchJob calls the restarted orchestrator served")
        .isGreaterThanOrEqualTo(1);
    assertEveryEventOnceInOrder(
        watch.events(), storedEvents(job.getId()), JobState.JOB_STATE_SUCCEEDED);
    assertThat(watch.events().get(0).getJobStateChanged().getTo())
        .isEqualTo(JobState.JOB_STATE_QUEUED);
  }

  @Test
  void submitWatchResumesAcrossAnOrchestratorRestartAndExitsOneWhenTheJobFails() throws Exception {
    Path notPdf = Files.writeString(data.resolve("notes.pdf"), "this is not a PDF at all");
    Running submit = start("submit", "--watch", "--json", notPdf.toString());
    cutTheConnectionThenRunTheJob(submit);

    assertThat(submit.code().get(2, TimeUnit.MINUTES)).as(submit.err().toString()).isEqualTo(1);
    assertThat(watchCallsServed(orchestrator)).isGreaterThanOrEqualTo(1);
    List<JobEvent> printed = submit.events();
    assertEveryEventOnceInOrder(
        printed, storedEvents(printed.get(0).getJobId()), JobState.JOB_STATE_FAILED);
  }

  @Test
  void cancelStopsAQueuedJobAndItsWatchersExitOne() throws Exception {
    CliEndToEndTest.Run submitted =
        run("submit", "--json", CORPUS.resolve("minimal-document.pdf").toString());
    assertThat(submitted.code()).as(submitted.err()).isEqualTo(0);
    Job.Builder job = Job.newBuilder();
    JsonFormat.parser().merge(submitted.out().strip(), job);
    Running watch = start("watch", job.getId(), "--json");
    await().atMost(Duration.ofSeconds(30)).until(() -> !watch.events().isEmpty());

    CliEndToEndTest.Run cancelled = run("cancel", job.getId(), "--reason", "not needed after all");
    assertThat(cancelled.code()).as(cancelled.err()).isEqualTo(0);
    assertThat(cancelled.out().strip()).isEqualTo(job.getId() + "  CANCELLED");

    assertThat(watch.code().get(1, TimeUnit.MINUTES))
        .as("a watcher of a cancelled job")
        .isEqualTo(1);
    JobEvent last = watch.events().get(watch.events().size() - 1);
    assertThat(last.getJobStateChanged().getTo()).isEqualTo(JobState.JOB_STATE_CANCELLED);
    assertThat(last.getJobStateChanged().getError().getMessage()).contains("not needed after all");

    CliEndToEndTest.Run got = run("get", job.getId(), "--json");
    assertThat(got.code()).isEqualTo(0);
    Job.Builder after = Job.newBuilder();
    JsonFormat.parser().merge(got.out(), after);
    assertThat(after.getState()).isEqualTo(JobState.JOB_STATE_CANCELLED);

    CliEndToEndTest.Run again = run("cancel", "job-01J00000000000000000000000");
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err().strip()).startsWith("docmesh: NOT_FOUND");
  }
}
