package dev.docmesh.localmesh;

import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.monitor.MonitorMain;
import dev.docmesh.orchestrator.OrchestratorMain;
import dev.docmesh.processor.ProcessorMain;
import dev.docmesh.worker.WorkerMain;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * The services in one JVM, each a real gRPC server on its own port started from its production
 * wiring: {@code docmesh up}, {@code docmesh demo} and the whole-mesh tests. Workers and the
 * monitor are optional, more workers can join later, and the processor can be stopped and started
 * again on its port. Closed worker first (it drains), then the rest.
 */
public final class LocalMesh implements AutoCloseable {
  private static final String HOST = "127.0.0.1";

  private final Map<String, String> environment;
  private final boolean ephemeralPorts;
  private final Map<String, String> processorEnv;
  private final MeshServer orchestrator;
  private volatile MeshServer processor;
  private final int processorPort;
  private final List<MeshServer> workers = new CopyOnWriteArrayList<>();
  private MeshServer monitor;

  private LocalMesh(Builder b) {
    this.environment = b.environment;
    this.ephemeralPorts = b.ephemeralPorts;
    this.processorEnv = b.processorEnv;
    Map<String, String> orchestratorEnv = new HashMap<>();
    orchestratorEnv.put("DOCMESH_DATA_DIR", b.dataDir.resolve("orchestrator").toString());
    orchestratorEnv.putAll(b.orchestratorEnv);
    this.orchestrator = OrchestratorMain.start(env(orchestratorEnv));
    try {
      this.processor = ProcessorMain.start(env(processorEnv));
      this.processorPort = processor.grpcPort();
      for (int i = 0; i < b.workers; i++) {
        startWorker(b.workerEnv);
      }
      if (b.monitor) {
        monitor = MonitorMain.start(env(Map.of("DOCMESH_MONITOR_TARGETS", monitorTargets())));
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * A mesh keeping its data under {@code dataDir}: one worker and the monitor unless told
   * otherwise.
   */
  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  /** What a mesh is started with. */
  public static final class Builder {
    private final Path dataDir;
    private Map<String, String> environment = Map.of();
    private boolean ephemeralPorts;
    private Map<String, String> orchestratorEnv = Map.of();
    private Map<String, String> processorEnv = Map.of();
    private Map<String, String> workerEnv = Map.of();
    private int workers = 1;
    private boolean monitor = true;

    private Builder(Path dataDir) {
      this.dataDir = dataDir;
    }

    /**
     * Variables every service sees (e.g. the process environment); per-process ports are dropped.
     */
    public Builder environment(Map<String, String> environment) {
      this.environment = Map.copyOf(environment);
      return this;
    }

    /**
     * Every port picked by the OS (tests, or a second mesh on one machine); otherwise the usual
     * ports 50051-50054 / 9091-9094.
     */
    public Builder ephemeralPorts(boolean ephemeralPorts) {
      this.ephemeralPorts = ephemeralPorts;
      return this;
    }

    public Builder orchestratorEnv(Map<String, String> env) {
      this.orchestratorEnv = Map.copyOf(env);
      return this;
    }

    public Builder processorEnv(Map<String, String> env) {
      this.processorEnv = Map.copyOf(env);
      return this;
    }

    /** How many workers start with the mesh (default 1), and with what. */
    public Builder workers(int count, Map<String, String> env) {
      this.workers = count;
      this.workerEnv = Map.copyOf(env);
      return this;
    }

    public Builder monitor(boolean monitor) {
      this.monitor = monitor;
      return this;
    }

    public LocalMesh start() {
      return new LocalMesh(this);
    }
  }

  public MeshServer orchestrator() {
    return orchestrator;
  }

  public MeshServer processor() {
    return processor;
  }

  /** The workers started so far, first one first. */
  public List<MeshServer> workers() {
    return List.copyOf(workers);
  }

  /** The monitor; fails when the mesh was started without one. */
  public MeshServer monitor() {
    if (monitor == null) {
      throw new IllegalStateException("this mesh runs without a monitor");
    }
    return monitor;
  }

  public String orchestratorTarget() {
    return "localhost:" + orchestrator.grpcPort();
  }

  public String processorTarget() {
    return "localhost:" + processorPort;
  }

  public String monitorTarget() {
    return "localhost:" + monitor().grpcPort();
  }

  /** The environment a worker of this mesh gets: the mesh's targets, then {@code extra}. */
  public Map<String, String> workerEnv(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>();
    env.put("DOCMESH_ORCHESTRATOR_TARGET", "dns:///" + HOST + ":" + orchestrator.grpcPort());
    env.put("DOCMESH_PROCESSOR_TARGET", "dns:///" + HOST + ":" + processorPort);
    env.putAll(extra);
    return env;
  }

  /** Starts one more worker in this JVM. */
  public MeshServer startWorker(Map<String, String> extra) {
    MeshServer worker = WorkerMain.start(env(workerEnv(extra)));
    workers.add(worker);
    return worker;
  }

  public void stopProcessor() {
    processor.close();
  }

  /** A fresh processor on the port the old one had, as a restarted pod behind the same name. */
  public void restartProcessor() {
    Map<String, String> env = new HashMap<>(processorEnv);
    env.put("DOCMESH_GRPC_PORT", Integer.toString(processorPort));
    processor = ProcessorMain.start(env(env));
  }

  /** Blocks until Ctrl-C (or SIGTERM), then drains the worker and stops all. */
  public void runUntilInterrupted(PrintWriter out) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  out.println("\ndraining and stopping...");
                  out.flush();
                  close();
                  stopped.countDown();
                },
                "docmesh-local-mesh-stop"));
    stopped.await();
  }

  @Override
  public void close() {
    List<MeshServer> all = new ArrayList<>(workers);
    if (monitor != null) {
      all.add(monitor);
    }
    if (processor != null) {
      all.add(processor);
    }
    all.add(orchestrator);
    all.forEach(MeshServer::close);
  }

  private String monitorTargets() {
    return "orchestrator=localhost:"
        + orchestrator.grpcPort()
        + ",processor=localhost:"
        + processorPort
        + (workers.isEmpty() ? "" : ",worker=localhost:" + workers.get(0).grpcPort())
        // the monitor watches itself too, where its port is known before it starts
        + (ephemeralPorts ? "" : ",monitor=localhost:" + MonitorMain.SPEC.grpcPort());
  }

  private Env env(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(environment);
    // per-process port variables would give every service the same port in one JVM
    env.remove("DOCMESH_GRPC_PORT");
    env.remove("DOCMESH_METRICS_PORT");
    if (ephemeralPorts) {
      env.put("DOCMESH_GRPC_PORT", "0");
      env.put("DOCMESH_METRICS_PORT", "0");
    }
    env.putAll(extra);
    return Env.of(env);
  }
}
