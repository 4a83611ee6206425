package dev.docmesh.orchestrator;

import com.google.protobuf.ByteString;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real orchestrator on loopback over an SQLite file in {@code dataDir}, with clients;
 * restartable. As a field registered with {@code @RegisterExtension} ({@link #perTest()}), each
 * test gets its own in a fresh directory, closed after the test.
 */
final class TestOrchestrator implements AutoCloseable, AfterEachCallback {
  static final byte[] PDF =
      "%PDF-1.7\n% a tiny stand-in document for the orchestrator's tests\n%%EOF\n"
          .getBytes(StandardCharsets.US_ASCII);

  private static final io.grpc.ClientInterceptor PER_CALL_DEADLINE =
      new io.grpc.ClientInterceptor() {
        @Override
        public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(
            io.grpc.MethodDescriptor<Q, R> method,
            io.grpc.CallOptions options,
            io.grpc.Channel next) {
          return next.newCall(
              method,
              options.getDeadline() == null
                  ? options.withDeadlineAfter(30, TimeUnit.SECONDS)
                  : options);
        }
      };

  final Path dataDir;
  private final Map<String, String> env;
  MeshServer server;
  ManagedChannel channel;
  OrchestratorServiceGrpc.OrchestratorServiceBlockingStub client;
  OrchestratorServiceGrpc.OrchestratorServiceStub asyncClient;
  TaskQueueServiceGrpc.TaskQueueServiceBlockingStub queue;
  TaskQueueServiceGrpc.TaskQueueServiceStub asyncQueue;

  private final java.time.Clock clock;

  private TestOrchestrator(Path dataDir, Map<String, String> extra, java.time.Clock clock) {
    this.dataDir = dataDir;
    this.clock = clock;
    this.env = new HashMap<>(extra);
    env.put("DOCMESH_DATA_DIR", dataDir.toString());
    open();
  }

  static TestOrchestrator start(Path dataDir, Map<String, String> extra) {
    return new TestOrchestrator(dataDir, extra, java.time.Clock.systemUTC());
  }

  static TestOrchestrator start(Path dataDir, Map<String, String> extra, java.time.Clock clock) {
    return new TestOrchestrator(dataDir, extra, clock);
  }

  static TestOrchestrator start(Path dataDir) {
    return start(dataDir, Map.of());
  }

  /** One for the test about to run, in its own temp directory; closes itself after the test. */
  static TestOrchestrator perTest() {
    try {
      return start(Files.createTempDirectory("docmesh-orchestrator-test"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws IOException {
    close();
    try (Stream<Path> files = Files.walk(dataDir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private void open() {
    server = OrchestratorMain.start(Loopback.env(env), clock);
    channel = Loopback.channel(server.grpcPort());
    // 30 s for each call (a stub's withDeadlineAfter would count from now, failing every call of a
    // test that runs longer, e.g. one waiting for another replica's process on a loaded machine)
    client = OrchestratorServiceGrpc.newBlockingStub(channel).withInterceptors(PER_CALL_DEADLINE);
    asyncClient = OrchestratorServiceGrpc.newStub(channel);
    queue = TaskQueueServiceGrpc.newBlockingStub(channel);
    asyncQueue = TaskQueueServiceGrpc.newStub(channel);
  }

  /** Closes the server and opens a new one on the same data directory (a process restart). */
  void restart() throws InterruptedException {
    closeQuietly();
    open();
  }

  ScriptedWorker worker(String id) {
    return new ScriptedWorker(id, () -> queue);
  }

  Job submitPdf() {
    return submit(
        SubmitJobRequest.newBuilder()
            .setContent(ByteString.copyFrom(PDF))
            .setFilename("t.pdf")
            .build());
  }

  Job submit(SubmitJobRequest req) {
    return client.submitJob(req).getJob();
  }

  String metrics() throws Exception {
    return Loopback.get(server.metricsPort(), "/metrics").body();
  }

  private void closeQuietly() throws InterruptedException {
    channel.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  @Override
  public void close() {
    try {
      closeQuietly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
