package dev.docmesh.chaos;

import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.worker.v1.GetWorkerStatusRequest;
import dev.docmesh.proto.worker.v1.WorkerServiceGrpc;
import dev.docmesh.proto.worker.v1.WorkerStatus;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Orchestrator, processor and worker as three JVMs on free ports, with their own data directory;
 * optionally the worker reaches the orchestrator and the processor through {@link FaultProxy}s.
 * Clients of the suite talk to the orchestrator directly.
 */
final class Mesh implements AutoCloseable {
  static final Duration LEASE = Duration.ofSeconds(5);

  final Path dir;
  final Path orchestratorData;
  final ServiceProcess orchestrator;
  final ServiceProcess processor;
  final ServiceProcess worker;
  final FaultProxy toOrchestrator;
  final FaultProxy toProcessor;
  private final ManagedChannel orchestratorChannel;
  private final ManagedChannel workerChannel;

  /** What differs between scenarios. */
  record Options(boolean proxied, Map<String, String> orchestratorEnv, Path orchestratorData) {
    static Options plain() {
      return new Options(false, Map.of(), null);
    }

    Options withProxies() {
      return new Options(true, orchestratorEnv, orchestratorData);
    }

    Options orchestratorEnv(Map<String, String> env) {
      return new Options(proxied, env, orchestratorData);
    }

    Options dataDir(Path p) {
      return new Options(proxied, orchestratorEnv, p);
    }
  }

  Mesh(Path dir, Options options) {
    this.dir = dir;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path root = Path.of(System.getProperty("docmesh.root", "..")).toAbsolutePath().normalize();
    Map<String, String> common =
        Map.of(
            "DOCMESH_SHUTDOWN_GRACE", "15s",
            "DOCMESH_LOG_LEVEL", "INFO",
            "OTEL_TRACES_EXPORTER", "none",
            "OTEL_METRICS_EXPORTER", "none",
            "OTEL_LOGS_EXPORTER", "none");

    orchestratorData =
        options.orchestratorData() != null
            ? options.orchestratorData()
            : dir.resolve("orchestrator-data");
    Map<String, String> o = new HashMap<>(common);
    o.put("DOCMESH_DATA_DIR", orchestratorData.toString());
    o.put("DOCMESH_LEASE_DURATION", LEASE.toSeconds() + "s");
    o.putAll(options.orchestratorEnv());
    orchestrator = new ServiceProcess("orchestrator", jar(root, "orchestrator"), o, "256m", dir);

    Map<String, String> p = new HashMap<>(common);
    p.put("DOCMESH_PROCESSOR_THREADS", "2");
    p.put("DOCMESH_PDF_TEMP_DIR", dir.resolve("processor-tmp").toString());
    processor = new ServiceProcess("processor", jar(root, "processor"), p, "384m", dir);

    toOrchestrator =
        options.proxied() ? new FaultProxy("orchestrator", orchestrator.grpcPort) : null;
    toProcessor = options.proxied() ? new FaultProxy("processor", processor.grpcPort) : null;
    Map<String, String> w = new HashMap<>(common);
    w.put(
        "DOCMESH_ORCHESTRATOR_TARGET",
        "dns:///" + (toOrchestrator != null ? toOrchestrator.address() : orchestrator.address()));
    w.put(
        "DOCMESH_PROCESSOR_TARGET",
        "dns:///" + (toProcessor != null ? toProcessor.address() : processor.address()));
    w.put("DOCMESH_WORKER_SLOTS", "2");
    w.put("DOCMESH_WORKER_POLL_WAIT", "10s");
    // the machine is shared: a busy neighbour must not make the worker stop polling
    w.put("DOCMESH_WORKER_MAX_CPU", "1");
    w.put("DOCMESH_WORKER_MAX_HEAP", "1");
    w.put("DOCMESH_WORKER_BACKOFF_MAX", "1s");
    w.put("DOCMESH_WORKER_BREAKER_COOLDOWN", "2s");
    worker = new ServiceProcess("worker", jar(root, "worker"), w, "192m", dir);

    orchestratorChannel = Channels.plain(orchestrator.address());
    workerChannel = Channels.plain(worker.address());
  }

  private static Path jar(Path root, String svc) {
    Path jar = root.resolve(svc + "-svc/target/" + svc + "-svc.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          jar + " is missing: build the runnable jars first (mvn -B -DskipTests package)");
    }
    return jar;
  }

  Mesh start() {
    orchestrator.start();
    processor.start();
    worker.start();
    orchestrator.awaitServing();
    processor.awaitServing();
    worker.awaitServing();
    return this;
  }

  OrchestratorServiceGrpc.OrchestratorServiceBlockingStub orchestrator() {
    return OrchestratorServiceGrpc.newBlockingStub(orchestratorChannel);
  }

  OrchestratorServiceGrpc.OrchestratorServiceStub orchestratorAsync() {
    return OrchestratorServiceGrpc.newStub(orchestratorChannel);
  }

  ManagedChannel orchestratorChannel() {
    return orchestratorChannel;
  }

  WorkerStatus workerStatus() {
    return WorkerServiceGrpc.newBlockingStub(workerChannel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .getWorkerStatus(GetWorkerStatusRequest.getDefaultInstance())
        .getStatus();
  }

  /**
   * Stops every service with SIGTERM (the worker first, so it hands its tasks back to a live
   * orchestrator).
   */
  void stopAll() {
    for (ServiceProcess s : new ServiceProcess[] {worker, processor, orchestrator}) {
      if (s.isAlive()) {
        s.terminate(Duration.ofSeconds(40));
      }
    }
  }

  @Override
  public void close() {
    orchestratorChannel.shutdownNow();
    workerChannel.shutdownNow();
    for (AutoCloseable c :
        new AutoCloseable[] {worker, processor, orchestrator, toOrchestrator, toProcessor}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // best effort: the next scenario uses new ports and directories
      }
    }
  }
}
