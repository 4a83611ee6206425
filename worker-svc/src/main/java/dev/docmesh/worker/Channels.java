package dev.docmesh.worker;

import dev.docmesh.meshkit.metrics.MeshTelemetry;
import dev.docmesh.meshkit.security.MeshChannels;
import io.grpc.ManagedChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The worker's client channels: {@code round_robin} over every address the target resolves to (a
 * headless Service in Kubernetes), with a service-config retry policy for UNAVAILABLE, and the
 * mesh's tracing and metrics interceptors; TLS, client certificate and token from {@link
 * MeshChannels}.
 */
final class Channels {
  private Channels() {}

  static ManagedChannel open(
      MeshChannels channels,
      String target,
      String service,
      int maxMessageBytes,
      MeshTelemetry telemetry) {
    return channels
        .forTarget(target)
        .defaultServiceConfig(serviceConfig(service))
        .enableRetry()
        // a Process request carries the whole document; keep it replayable up to the message limit
        .perRpcBufferLimit(maxMessageBytes)
        .retryBufferSize(4L * maxMessageBytes)
        .maxInboundMessageSize(maxMessageBytes)
        .keepAliveTime(60, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(false)
        // Answers are handed to the network thread's listener directly: every listener of the
        // worker's calls only passes the answer on to the thread waiting for it (a queue, a future)
        // or cancels a call. Through grpc's default executor, each message of a Process stream
        // (grpc 1.83's blocking server-streaming stub reads on that executor, not on the caller)
        // and each heartbeat answer woke one more thread.
        .directExecutor()
        .intercept(telemetry.clientInterceptors())
        .build();
  }

  /** Service config as a JSON-shaped map: doubles for numbers, as grpc-java expects. */
  static Map<String, Object> serviceConfig(String service) {
    Map<String, Object> retryPolicy =
        Map.of(
            "maxAttempts",
            4.0,
            "initialBackoff",
            "0.1s",
            "maxBackoff",
            "1s",
            "backoffMultiplier",
            2.0,
            "retryableStatusCodes",
            List.of("UNAVAILABLE"));
    Map<String, Object> methodConfig =
        Map.of("name", List.of(Map.of("service", service)), "retryPolicy", retryPolicy);
    return Map.of(
        "loadBalancingConfig", List.of(Map.of("round_robin", Map.of())),
        "methodConfig", List.of(methodConfig));
  }
}
