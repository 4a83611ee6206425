package dev.docmesh.worker;

import dev.docmesh.meshkit.config.ConfigException;
import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.server.ServiceLauncher;
import dev.docmesh.meshkit.server.ServiceLauncher.ServiceSpec;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** worker-svc: pulls tasks and runs them through processors. */
public final class WorkerMain {
  private static final Logger log = LoggerFactory.getLogger(WorkerMain.class);
  public static final ServiceSpec SPEC = new ServiceSpec("worker", 50053, 9093);

  private WorkerMain() {}

  /**
   * Like {@link ServiceLauncher#main}, which cannot be used as is: the worker starts polling
   * only once its server is up, and needs that server to turn health NOT_SERVING on Drain.
   */
  public static void main(String[] args) {
    MeshServer server;
    try {
      server = start(Env.system());
    } catch (ConfigException e) {
      log.error("configuration error: {}", e.getMessage());
      System.err.println("docmesh " + SPEC.name() + ": configuration error: " + e.getMessage());
      System.exit(2);
      return;
    } catch (RuntimeException e) {
      log.error("cannot start {}", SPEC.name(), e);
      System.exit(1);
      return;
    }
    server.installShutdownHook();
    try {
      server.awaitTermination();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public static MeshServer start(Env env) {
    AtomicReference<Worker> worker = new AtomicReference<>();
    MeshServer server = ServiceLauncher.start(SPEC, env, (builder, e) -> worker.set(wire(builder, e)));
    worker.get().start(server::setServing);
    return server;
  }

  static Worker wire(MeshServer.Builder server, Env env) {
    WorkerConfig config = WorkerConfig.fromEnv(server.config(), env);
    Worker worker = new Worker(config, server.telemetry());
    server.addService(new WorkerServiceImpl(worker, config.shutdownGrace()));
    server.beforeStop(worker::drainAndWait);
    server.afterStop(worker::close);
    return worker;
  }
}
