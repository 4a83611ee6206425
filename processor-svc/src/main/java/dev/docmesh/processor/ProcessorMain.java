package dev.docmesh.processor;

import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.server.ServiceLauncher;
import dev.docmesh.meshkit.server.ServiceLauncher.ServiceSpec;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;

/** processor-svc: stateless document processors. */
public final class ProcessorMain {
  public static final ServiceSpec SPEC = new ServiceSpec("processor", 50052, 9092);

  private ProcessorMain() {}

  public static void main(String[] args) {
    ServiceLauncher.main(SPEC, ProcessorMain::wire);
  }

  public static MeshServer start(Env env) {
    return ServiceLauncher.start(SPEC, env, ProcessorMain::wire);
  }

  static void wire(MeshServer.Builder server, Env env) {
    // Contract only until the processor issue lands: every method answers UNIMPLEMENTED.
    server.addService(new ProcessorServiceGrpc.ProcessorServiceImplBase() {});
  }
}
