package dev.docmesh.worker;

import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.server.ServiceLauncher;
import dev.docmesh.meshkit.server.ServiceLauncher.ServiceSpec;
import dev.docmesh.proto.worker.v1.WorkerServiceGrpc;

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
    // Contract only until the worker issue lands: every method answers UNIMPLEMENTED.
    server.addService(new WorkerServiceGrpc.WorkerServiceImplBase() {});
  }
}
