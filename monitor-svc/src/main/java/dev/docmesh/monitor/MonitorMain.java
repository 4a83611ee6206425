package dev.docmesh.monitor;

import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.server.ServiceLauncher;
import dev.docmesh.meshkit.server.ServiceLauncher.ServiceSpec;
import dev.docmesh.proto.monitor.v1.MonitorServiceGrpc;

/** monitor-svc: health, golden signals, alerts and the dashboard of the whole mesh. */
public final class MonitorMain {
  public static final ServiceSpec SPEC = new ServiceSpec("monitor", 50054, 9094);

  private MonitorMain() {}

  public static void main(String[] args) {
    ServiceLauncher.main(SPEC, MonitorMain::wire);
  }

  public static MeshServer start(Env env) {
    return ServiceLauncher.start(SPEC, env, MonitorMain::wire);
  }

  static void wire(MeshServer.Builder server, Env env) {
    // Contract only until the monitor issue lands: every method answers UNIMPLEMENTED.
    server.addService(new MonitorServiceGrpc.MonitorServiceImplBase() {});
  }
}
