package dev.docmesh.e2e;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.docmesh.localmesh.LocalMesh;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.Stage;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import dev.docmesh.worker.WorkerMain;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The whole-mesh test fixture: the real mesh on loopback ({@link LocalMesh}: orchestrator with
 * SQLite in a temp dir, processor, workers started by each test, no monitor), plus what the tests
 * do with it. A worker can also run as its own JVM, so a test can kill it for real.
 */
final class RealMesh implements AutoCloseable {
  static final Set<JobState> TERMINAL =
      Set.of(JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED);

  /** Quick polls, retries and progress: tests see the mesh react within seconds. */
  private static final Map<String, String> QUICK_WORKER =
      Map.of(
          "DOCMESH_WORKER_SLOTS", "1",
          "DOCMESH_WORKER_POLL_WAIT", "2s",
          "DOCMESH_WORKER_MAX_CPU", "1.0",
          "DOCMESH_WORKER_MAX_HEAP", "1.0",
          "DOCMESH_WORKER_BACKOFF_INITIAL", "50ms",
          "DOCMESH_WORKER_BACKOFF_MAX", "500ms",
          "DOCMESH_WORKER_PROGRESS_INTERVAL", "200ms");

  private final LocalMesh mesh;
  final MeshServer orchestrator;
  private final List<Process> forked = new ArrayList<>();
  final ManagedChannel channel;
  final OrchestratorServiceGrpc.OrchestratorServiceBlockingStub jobs;

  RealMesh(Path dataDir, Duration lease) {
    mesh =
        LocalMesh.builder(dataDir)
            .environment(Map.of("DOCMESH_SHUTDOWN_GRACE", "5s"))
            .ephemeralPorts(true)
            .orchestratorEnv(
                Map.of(
                    "DOCMESH_DATA_DIR",
                    dataDir.toString(),
                    "DOCMESH_LEASE_DURATION",
                    lease.toMillis() + "ms",
                    "DOCMESH_SQLITE_SYNCHRONOUS",
                    "NORMAL"))
            .workers(0, Map.of())
            .monitor(false)
            .start();
    orchestrator = mesh.orchestrator();
    channel = Loopback.channel(orchestrator.grpcPort());
    jobs = OrchestratorServiceGrpc.newBlockingStub(channel);
  }

  /** The processor now running (a restart replaces it). */
  MeshServer processor() {
    return mesh.processor();
  }

  /** What a worker of this mesh is started with. */
  Map<String, String> workerEnv(String id, Map<String, String> extra) {
    return mesh.workerEnv(quickWorker(id, extra));
  }

  MeshServer startWorker(String id, Map<String, String> extra) {
    return mesh.startWorker(quickWorker(id, extra));
  }

  private static Map<String, String> quickWorker(String id, Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(QUICK_WORKER);
    env.put("DOCMESH_WORKER_ID", id);
    env.putAll(extra);
    return env;
  }

  MeshServer startWorker(String id) {
    return startWorker(id, Map.of());
  }

  /** A worker in its own JVM, on this test's classpath, logging to {@code log}. */
  Process forkWorker(String id, Path log) throws IOException {
    return forkWorker(id, log, Map.of());
  }

  Process forkWorker(String id, Path log, Map<String, String> extra) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
                java,
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                WorkerMain.class.getName())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = new HashMap<>(extra);
    env.put("DOCMESH_GRPC_PORT", "0");
    env.put("DOCMESH_METRICS_PORT", "0");
    pb.environment().putAll(workerEnv(id, env));
    Process p = pb.start();
    forked.add(p);
    return p;
  }

  void stopProcessor() {
    mesh.stopProcessor();
  }

  void restartProcessor() {
    mesh.restartProcessor();
  }

  String submit(byte[] content, String filename, String pipeline) {
    return submit(pdf(content, filename).setPipeline(pipeline));
  }

  String submit(byte[] content, String filename, Pipeline inline) {
    return submit(pdf(content, filename).setInlinePipeline(inline));
  }

  private String submit(SubmitJobRequest.Builder request) {
    return jobs.submitJob(request.build()).getJob().getId();
  }

  private static SubmitJobRequest.Builder pdf(byte[] content, String filename) {
    return SubmitJobRequest.newBuilder()
        .setContent(ByteString.copyFrom(content))
        .setFilename(filename)
        .setMediaType("application/pdf");
  }

  /** One stage running {@code processor}, with a few quick retries. */
  static Pipeline single(String stage, String processor) {
    return Pipeline.newBuilder()
        .setName("single-" + stage)
        .addStages(
            Stage.newBuilder()
                .setName(stage)
                .setProcessor(processor)
                .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(120))
                .setRetry(
                    dev.docmesh.proto.orchestrator.v1.RetryPolicy.newBuilder()
                        .setMaxAttempts(5)
                        .setInitialBackoff(
                            com.google.protobuf.Duration.newBuilder().setNanos(100_000_000))
                        .setMaxBackoff(com.google.protobuf.Duration.newBuilder().setSeconds(1))))
        .build();
  }

  Job job(String id) {
    return jobs.getJob(GetJobRequest.newBuilder().setJobId(id).build()).getJob();
  }

  Job awaitTerminal(String id, Duration within) {
    await()
        .atMost(within)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> TERMINAL.contains(job(id).getState()));
    return job(id);
  }

  /** Every event of the job, replayed from the start; the job must have ended. */
  List<JobEvent> events(String id) {
    List<JobEvent> events = new ArrayList<>();
    Iterator<WatchJobResponse> stream =
        jobs.withDeadlineAfter(10, TimeUnit.SECONDS)
            .watchJob(WatchJobRequest.newBuilder().setJobId(id).build());
    while (stream.hasNext()) {
      JobEvent e = stream.next().getEvent();
      events.add(e);
      if (TERMINAL.contains(e.getJobState()) && e.hasJobStateChanged()) {
        break;
      }
    }
    return events;
  }

  /** A sample of the server's registry; labels as name, value pairs in the metric's label order. */
  static double sample(MeshServer server, String name, String... labels) {
    String[] names = new String[labels.length / 2];
    String[] values = new String[labels.length / 2];
    for (int i = 0; i < names.length; i++) {
      names[i] = labels[2 * i];
      values[i] = labels[2 * i + 1];
    }
    Double v = server.telemetry().registry().getSampleValue(name, names, values);
    return v == null ? 0 : v;
  }

  @Override
  public void close() {
    forked.forEach(Process::destroyForcibly);
    channel.shutdownNow();
    mesh.close();
  }
}
