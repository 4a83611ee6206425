package dev.docmesh.worker;

import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.server.ServiceLauncher;
import dev.docmesh.meshkit.server.ServiceLauncher.ServiceSpec;

/** worker-svc: pulls tasks and runs them through processors. */
public final class WorkerMain {
  public static final ServiceSpec SPEC = new ServiceSpec("worker", 50053, 9093);

  private WorkerMain() {}

  public static void main(String[] args) {
    ServiceLauncher.main(SPEC, WorkerMain::wire);
  }

  public static MeshServer start(Env env) {
    return ServiceLauncher.start(SPEC, env, WorkerMain::wire);
  }

  static void wire(MeshServer.Builder server, Env env) {
    WorkerConfig config = WorkerConfig.fromEnv(server.config(), env);
    Worker worker = new Worker(config, server.telemetry(), server.security().channels());
    server.addService(new WorkerServiceImpl(worker, config.shutdownGrace()));
    // polling starts once the server is up; draining turns its health NOT_SERVING
    server.afterStart(running -> worker.start(running::setServing));
    server.beforeStop(worker::drainAndWait);
    server.afterStop(worker::close);
  }
}
