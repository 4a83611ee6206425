package dev.docmesh.meshkit.server;

import dev.docmesh.meshkit.config.ConfigException;
import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.config.MeshConfig;
import dev.docmesh.meshkit.metrics.MeshTelemetry;
import dev.docmesh.meshkit.security.MeshSecurity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** Starts one docmesh service from its wiring: the shared {@code main} of all four. */
public final class ServiceLauncher {
  private static final Logger log = LoggerFactory.getLogger(ServiceLauncher.class);

  /** What a service adds to the standard server: its services, pages and stop hooks. */
  @FunctionalInterface
  public interface Wiring {
    void wire(MeshServer.Builder server, Env env) throws Exception;
  }

  /** The identity of a service: short name and usual ports. */
  public record ServiceSpec(String name, int grpcPort, int metricsPort) {}

  private ServiceLauncher() {}

  static {
    // grpc-java and the JDK log through java.util.logging; send it through the one backend.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
  }

  /** Starts the service with the given environment; the server runs until shut down. */
  public static MeshServer start(ServiceSpec spec, Env env, Wiring wiring) {
    MeshConfig config = MeshConfig.fromEnv(spec.name(), spec.grpcPort(), spec.metricsPort(), env);
    MeshTelemetry telemetry = MeshTelemetry.create(spec.name(), config.instanceId(), env);
    MeshServer.Builder builder = MeshServer.builder(config, telemetry);
    try {
      builder.security(MeshSecurity.fromEnv(env));
      wiring.wire(builder, env);
      return builder.start();
    } catch (ConfigException e) {
      builder.security().close();
      telemetry.close();
      throw e;
    } catch (RuntimeException e) {
      builder.security().close();
      telemetry.close();
      throw e;
    } catch (Exception e) {
      builder.security().close();
      telemetry.close();
      throw new IllegalStateException("cannot start " + spec.name() + ": " + e.getMessage(), e);
    }
  }

  /** {@code main} of a service: exit code 2 on a configuration error, 1 when it cannot start. */
  public static void main(ServiceSpec spec, Wiring wiring) {
    MeshServer server;
    try {
      server = start(spec, Env.system(), wiring);
    } catch (ConfigException e) {
      log.error("configuration error: {}", e.getMessage());
      System.err.println("docmesh " + spec.name() + ": configuration error: " + e.getMessage());
      System.exit(2);
      return;
    } catch (RuntimeException e) {
      log.error("cannot start {}", spec.name(), e);
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
}
