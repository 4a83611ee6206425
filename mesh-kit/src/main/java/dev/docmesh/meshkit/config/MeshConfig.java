package dev.docmesh.meshkit.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;

/**
 * What every docmesh server needs to run, read from {@code DOCMESH_*} variables.
 *
 * @param service short service name ("orchestrator", "processor", ...), used in metrics and logs
 * @param instanceId this process's id (pod name in Kubernetes)
 * @param grpcPort gRPC port; 0 picks a free one
 * @param metricsPort HTTP port of /metrics (and a service's pages); 0 picks a free one
 * @param maxInboundMessageBytes largest message a client may send
 * @param keepAliveTime server pings an idle connection after this long
 * @param keepAliveTimeout and closes it when the ping is not answered within this
 * @param permitKeepAliveTime clients may ping no more often than this
 * @param maxConnectionAge connections are closed gracefully after this long, so clients re-resolve
 *     and load spreads to new replicas
 * @param maxConnectionAgeGrace in-flight calls get this long to finish when a connection ages out
 * @param shutdownGrace in-flight calls get this long to finish at shutdown
 */
public record MeshConfig(
    String service,
    String instanceId,
    int grpcPort,
    int metricsPort,
    int maxInboundMessageBytes,
    Duration keepAliveTime,
    Duration keepAliveTimeout,
    Duration permitKeepAliveTime,
    Duration maxConnectionAge,
    Duration maxConnectionAgeGrace,
    Duration shutdownGrace) {

  public static final String GRPC_PORT = "DOCMESH_GRPC_PORT";
  public static final String METRICS_PORT = "DOCMESH_METRICS_PORT";
  public static final String INSTANCE_ID = "DOCMESH_INSTANCE_ID";
  public static final String MAX_INBOUND_MESSAGE_SIZE = "DOCMESH_MAX_INBOUND_MESSAGE_SIZE";
  public static final String KEEPALIVE_TIME = "DOCMESH_KEEPALIVE_TIME";
  public static final String KEEPALIVE_TIMEOUT = "DOCMESH_KEEPALIVE_TIMEOUT";
  public static final String PERMIT_KEEPALIVE_TIME = "DOCMESH_PERMIT_KEEPALIVE_TIME";
  public static final String MAX_CONNECTION_AGE = "DOCMESH_MAX_CONNECTION_AGE";
  public static final String MAX_CONNECTION_AGE_GRACE = "DOCMESH_MAX_CONNECTION_AGE_GRACE";
  public static final String SHUTDOWN_GRACE = "DOCMESH_SHUTDOWN_GRACE";

  public MeshConfig {
    if (maxInboundMessageBytes <= 0) {
      throw new ConfigException(MAX_INBOUND_MESSAGE_SIZE + " must be positive");
    }
  }

  /**
   * Reads the shared server settings; {@code defaultGrpcPort}/{@code defaultMetricsPort} are the
   * service's usual ports.
   */
  public static MeshConfig fromEnv(
      String service, int defaultGrpcPort, int defaultMetricsPort, Env env) {
    return new MeshConfig(
        service,
        env.string(INSTANCE_ID, defaultInstanceId()),
        env.port(GRPC_PORT, defaultGrpcPort),
        env.port(METRICS_PORT, defaultMetricsPort),
        (int) env.bytes(MAX_INBOUND_MESSAGE_SIZE, 64L * 1024 * 1024, 1024, Integer.MAX_VALUE),
        env.duration(KEEPALIVE_TIME, Duration.ofMinutes(2)),
        env.duration(KEEPALIVE_TIMEOUT, Duration.ofSeconds(20)),
        env.duration(PERMIT_KEEPALIVE_TIME, Duration.ofSeconds(10)),
        env.duration(MAX_CONNECTION_AGE, Duration.ofMinutes(30)),
        env.duration(MAX_CONNECTION_AGE_GRACE, Duration.ofMinutes(5)),
        env.duration(SHUTDOWN_GRACE, Duration.ofSeconds(20)));
  }

  static String defaultInstanceId() {
    String host = System.getenv("HOSTNAME");
    if (host != null && !host.isBlank()) {
      return host;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
