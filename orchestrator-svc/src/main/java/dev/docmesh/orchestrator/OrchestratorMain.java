package dev.docmesh.orchestrator;

import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.server.ServiceLauncher;
import dev.docmesh.meshkit.server.ServiceLauncher.ServiceSpec;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;

/** orchestrator-svc: jobs, pipelines, the durable store and the task queue. */
public final class OrchestratorMain {
  public static final ServiceSpec SPEC = new ServiceSpec("orchestrator", 50051, 9091);

  private OrchestratorMain() {}

  public static void main(String[] args) {
    ServiceLauncher.main(SPEC, OrchestratorMain::wire);
  }

  public static MeshServer start(Env env) {
    return ServiceLauncher.start(SPEC, env, OrchestratorMain::wire);
  }

  static void wire(MeshServer.Builder server, Env env) {
    // Contract only until the orchestrator issue lands: every method answers UNIMPLEMENTED.
    server.addService(new OrchestratorServiceGrpc.OrchestratorServiceImplBase() {});
    server.addService(new TaskQueueServiceGrpc.TaskQueueServiceImplBase() {});
  }
}
