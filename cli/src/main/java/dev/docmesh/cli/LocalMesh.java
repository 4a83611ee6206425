package dev.docmesh.cli;

import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.monitor.MonitorMain;
import dev.docmesh.orchestrator.OrchestratorMain;
import dev.docmesh.processor.ProcessorMain;
import dev.docmesh.worker.WorkerMain;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The four services in one JVM, each a real gRPC server on its own port, for {@code docmesh up},
 * {@code docmesh demo} and the CLI's tests. Stopped worker first (it drains), then the rest.
 */
final class LocalMesh implements AutoCloseable {
  final MeshServer orchestrator;
  final MeshServer processor;
  final MeshServer worker;
  final MeshServer monitor;

  private LocalMesh(MeshServer orchestrator, MeshServer processor, MeshServer worker, MeshServer monitor) {
    this.orchestrator = orchestrator;
    this.processor = processor;
    this.worker = worker;
    this.monitor = monitor;
  }

  /**
   * Starts the mesh. With {@code ephemeralPorts} every port is picked by the OS (tests);
   * otherwise the usual ports 50051-50054 / 9091-9094 unless the environment says otherwise.
   */
  static LocalMesh start(Path dataDir, boolean ephemeralPorts, Map<String, String> environment) {
    List<MeshServer> started = new ArrayList<>();
    try {
      MeshServer orchestrator = started(started,
          OrchestratorMain.start(env(environment, ephemeralPorts, Map.of(
              "DOCMESH_DATA_DIR", dataDir.resolve("orchestrator").toString()))));
      MeshServer processor = started(started, ProcessorMain.start(env(environment, ephemeralPorts, Map.of())));
      String orchestratorTarget = "localhost:" + orchestrator.grpcPort();
      String processorTarget = "localhost:" + processor.grpcPort();
      MeshServer worker = started(started, WorkerMain.start(env(environment, ephemeralPorts, Map.of(
          "DOCMESH_ORCHESTRATOR_TARGET", "dns:///" + orchestratorTarget,
          "DOCMESH_PROCESSOR_TARGET", "dns:///" + processorTarget))));
      MeshServer monitor = started(started, MonitorMain.start(env(environment, ephemeralPorts, Map.of(
          "DOCMESH_MONITOR_TARGETS",
          "orchestrator=" + orchestratorTarget + ",processor=" + processorTarget
              + ",worker=localhost:" + worker.grpcPort()
              // the monitor watches itself too, where its port is known before it starts
              + (ephemeralPorts ? "" : ",monitor=localhost:" + MonitorMain.SPEC.grpcPort())))));
      return new LocalMesh(orchestrator, processor, worker, monitor);
    } catch (RuntimeException e) {
      for (int i = started.size() - 1; i >= 0; i--) {
        started.get(i).close();
      }
      throw e;
    }
  }

  private static MeshServer started(List<MeshServer> list, MeshServer s) {
    list.add(s);
    return s;
  }

  private static Env env(Map<String, String> base, boolean ephemeral, Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(base);
    // per-process port variables would give all four the same port in one JVM
    env.remove("DOCMESH_GRPC_PORT");
    env.remove("DOCMESH_METRICS_PORT");
    if (ephemeral) {
      env.put("DOCMESH_GRPC_PORT", "0");
      env.put("DOCMESH_METRICS_PORT", "0");
    }
    env.putAll(extra);
    return Env.of(env);
  }

  String orchestratorTarget() {
    return "localhost:" + orchestrator.grpcPort();
  }

  String processorTarget() {
    return "localhost:" + processor.grpcPort();
  }

  String monitorTarget() {
    return "localhost:" + monitor.grpcPort();
  }

  /** Blocks until Ctrl-C (or SIGTERM), then drains the worker and stops all four. */
  void runUntilInterrupted(java.io.PrintWriter out) throws InterruptedException {
    java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      out.println("\ndraining and stopping...");
      out.flush();
      close();
      stopped.countDown();
    }, "docmesh-local-mesh-stop"));
    stopped.await();
  }

  @Override
  public void close() {
    worker.close();
    monitor.close();
    processor.close();
    orchestrator.close();
  }
}
