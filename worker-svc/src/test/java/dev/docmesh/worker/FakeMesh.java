package dev.docmesh.worker;

import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.proto.document.v1.DocumentRef;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.worker.v1.WorkerServiceGrpc;
import dev.docmesh.worker.fakes.FakeProcessor;
import dev.docmesh.worker.fakes.FakeServer;
import dev.docmesh.worker.fakes.FakeTaskQueue;
import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real worker server between a scripted task queue and a scripted processor service, all on
 * loopback.
 */
final class FakeMesh implements AutoCloseable {
  final FakeTaskQueue queue = new FakeTaskQueue();
  final FakeProcessor processor = new FakeProcessor("pdf.validate", "pdf.text");
  final FakeServer orchestratorServer = new FakeServer(queue);
  final FakeServer processorServer = new FakeServer(processor, processor.traceCapture());
  final MeshServer worker;
  final ManagedChannel channel;
  final WorkerServiceGrpc.WorkerServiceBlockingStub control;
  private final AtomicInteger jobs = new AtomicInteger();

  FakeMesh(Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>();
    env.put("DOCMESH_ORCHESTRATOR_TARGET", orchestratorServer.target());
    env.put("DOCMESH_PROCESSOR_TARGET", processorServer.target());
    env.put("DOCMESH_WORKER_ID", "worker-under-test");
    env.put("DOCMESH_WORKER_SLOTS", "1");
    env.put("DOCMESH_WORKER_POLL_WAIT", "1s");
    env.put("DOCMESH_WORKER_BACKOFF_INITIAL", "50ms");
    env.put("DOCMESH_WORKER_BACKOFF_MAX", "400ms");
    env.put("DOCMESH_WORKER_MAX_CPU", "1.0");
    env.put("DOCMESH_WORKER_PROGRESS_INTERVAL", "100ms");
    env.putAll(overrides);
    worker = WorkerMain.start(Loopback.env(env));
    channel = Loopback.channel(worker.grpcPort());
    control = WorkerServiceGrpc.newBlockingStub(channel);
  }

  FakeMesh() {
    this(Map.of());
  }

  /** Offers one task of {@code processor} over a small text document. */
  Task offer(String processor, Duration lease, Duration timeout) {
    return queue.offer(task(processor, timeout), lease);
  }

  /** A task of {@code processor} over a fresh small text document, not yet offered. */
  Task.Builder task(String processor, Duration timeout) {
    DocumentRef doc =
        queue.putDocument(
            ("document of job " + jobs.incrementAndGet()).getBytes(StandardCharsets.UTF_8),
            "doc.txt",
            "text/plain");
    String job = "job-" + jobs.get();
    return Task.newBuilder()
        .setTaskId(job + "/stage")
        .setJobId(job)
        .setStage("stage")
        .setProcessor(processor)
        .setAttempt(1)
        .setDocument(doc)
        .setTimeout(
            com.google.protobuf.Duration.newBuilder()
                .setSeconds(timeout.getSeconds())
                .setNanos(timeout.getNano()));
  }

  Task offer(String processor) {
    return offer(processor, Duration.ofSeconds(30), Duration.ofSeconds(30));
  }

  Double metric(String name, String[] labels, String[] values) {
    return worker.telemetry().registry().getSampleValue(name, labels, values);
  }

  double tasks(String processor, String outcome) {
    return count("docmesh_worker_tasks_total", processor, outcome);
  }

  double followOns(String processor, String outcome) {
    return count("docmesh_worker_follow_ons_total", processor, outcome);
  }

  private double count(String counter, String processor, String outcome) {
    Double v =
        metric(counter, new String[] {"processor", "outcome"}, new String[] {processor, outcome});
    return v == null ? 0 : v;
  }

  /**
   * Starts meshes for one test and closes them after it: a field registered with
   * {@code @RegisterExtension}.
   */
  static final class PerTest implements AfterEachCallback {
    private final List<FakeMesh> started = new ArrayList<>();

    FakeMesh start(Map<String, String> overrides) {
      FakeMesh mesh = new FakeMesh(overrides);
      started.add(mesh);
      return mesh;
    }

    FakeMesh start() {
      return start(Map.of());
    }

    @Override
    public void afterEach(ExtensionContext context) {
      started.forEach(FakeMesh::close);
      started.clear();
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    worker.close();
    orchestratorServer.close();
    processorServer.close();
  }
}
