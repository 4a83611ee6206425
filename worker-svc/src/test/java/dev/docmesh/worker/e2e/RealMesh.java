package dev.docmesh.worker.e2e;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.orchestrator.OrchestratorMain;
import dev.docmesh.processor.ProcessorMain;
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
 * The real mesh on loopback: orchestrator (SQLite in a temp dir), processor and workers, each
 * its own gRPC server started from its production wiring. A worker can also run as its own
 * JVM, so a test can kill it for real.
 */
final class RealMesh implements AutoCloseable {
  static final Set<JobState> TERMINAL = Set.of(JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED);

  final MeshServer orchestrator;
  private final Map<String, String> processorEnv = new HashMap<>();
  MeshServer processor;
  private final int processorPort;
  final List<MeshServer> workers = new ArrayList<>();
  private final List<Process> forked = new ArrayList<>();
  final ManagedChannel channel;
  final OrchestratorServiceGrpc.OrchestratorServiceBlockingStub jobs;

  RealMesh(Path dataDir, Duration lease) {
    orchestrator =
        OrchestratorMain.start(
            Loopback.env(
                Map.of(
                    "DOCMESH_DATA_DIR", dataDir.toString(),
                    "DOCMESH_LEASE_DURATION", lease.toMillis() + "ms",
                    "DOCMESH_SQLITE_SYNCHRONOUS", "NORMAL")));
    processor = ProcessorMain.start(Loopback.env(processorEnv));
    processorPort = processor.grpcPort();
    channel = Loopback.channel(orchestrator.grpcPort());
    jobs = OrchestratorServiceGrpc.newBlockingStub(channel);
  }

  /** What a worker of this mesh is started with. */
  Map<String, String> workerEnv(String id, Map<String, String> extra) {
    Map<String, String> env = new HashMap<>();
    env.put("DOCMESH_ORCHESTRATOR_TARGET", "dns:///127.0.0.1:" + orchestrator.grpcPort());
    env.put("DOCMESH_PROCESSOR_TARGET", "dns:///127.0.0.1:" + processorPort);
    env.put("DOCMESH_WORKER_ID", id);
    env.put("DOCMESH_WORKER_SLOTS", "1");
    env.put("DOCMESH_WORKER_POLL_WAIT", "2s");
    env.put("DOCMESH_WORKER_MAX_CPU", "1.0");
    env.put("DOCMESH_WORKER_MAX_HEAP", "1.0");
    env.put("DOCMESH_WORKER_BACKOFF_INITIAL", "50ms");
    env.put("DOCMESH_WORKER_BACKOFF_MAX", "500ms");
    env.put("DOCMESH_WORKER_PROGRESS_INTERVAL", "200ms");
    env.putAll(extra);
    return env;
  }

  MeshServer startWorker(String id, Map<String, String> extra) {
    MeshServer worker = WorkerMain.start(Loopback.env(workerEnv(id, extra)));
    workers.add(worker);
    return worker;
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
        new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), WorkerMain.class.getName())
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
    processor.close();
  }

  /** A fresh processor on the port the old one had, as a restarted pod behind the same name. */
  void restartProcessor() {
    Map<String, String> env = new HashMap<>(processorEnv);
    env.put("DOCMESH_GRPC_PORT", Integer.toString(processorPort));
    processor = ProcessorMain.start(Loopback.env(env));
  }

  String submit(byte[] content, String filename, String pipeline) {
    return jobs.submitJob(
            SubmitJobRequest.newBuilder()
                .setContent(ByteString.copyFrom(content))
                .setFilename(filename)
                .setMediaType("application/pdf")
                .setPipeline(pipeline)
                .build())
        .getJob()
        .getId();
  }

  String submit(byte[] content, String filename, Pipeline inline) {
    return jobs.submitJob(
            SubmitJobRequest.newBuilder()
                .setContent(ByteString.copyFrom(content))
                .setFilename(filename)
                .setMediaType("application/pdf")
                .setInlinePipeline(inline)
                .build())
        .getJob()
        .getId();
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
                        .setInitialBackoff(com.google.protobuf.Duration.newBuilder().setNanos(100_000_000))
                        .setMaxBackoff(com.google.protobuf.Duration.newBuilder().setSeconds(1))))
        .build();
  }

  Job job(String id) {
    return jobs.getJob(GetJobRequest.newBuilder().setJobId(id).build()).getJob();
  }

  Job awaitTerminal(String id, Duration within) {
    await().atMost(within).pollInterval(Duration.ofMillis(100)).until(() -> TERMINAL.contains(job(id).getState()));
    return job(id);
  }

  /** Every event of the job, replayed from the start; the job must have ended. */
  List<JobEvent> events(String id) {
    List<JobEvent> events = new ArrayList<>();
    Iterator<WatchJobResponse> stream =
        jobs.withDeadlineAfter(10, TimeUnit.SECONDS).watchJob(WatchJobRequest.newBuilder().setJobId(id).build());
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
    workers.forEach(MeshServer::close);
    processor.close();
    orchestrator.close();
  }
}
