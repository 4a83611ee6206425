package dev.docmesh.meshkit.metrics;

import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.tracing.TraceContextInterceptors;
import dev.docmesh.meshkit.tracing.Tracing;
import io.grpc.ClientInterceptor;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.hotspot.DefaultExports;
import java.util.List;

/**
 * One service's metrics registry and tracer, and the interceptors built on them. A registry per
 * service (not the global one) keeps several services in one JVM ({@code docmesh up}, tests) from
 * mixing their numbers.
 */
public final class MeshTelemetry implements AutoCloseable {
  private final CollectorRegistry registry;
  private final GrpcMetrics grpcMetrics;
  private final OpenTelemetry openTelemetry;
  private final ServerInterceptor serverTracing;
  private final ClientInterceptor clientTracing;

  private MeshTelemetry(CollectorRegistry registry, OpenTelemetry openTelemetry) {
    this.registry = registry;
    this.grpcMetrics = new GrpcMetrics(registry);
    this.openTelemetry = openTelemetry;
    if (Tracing.recordsSpans(openTelemetry)) {
      // No span event per message: it costs a reflective size lookup on every streamed message
      // (a progress event per page); the call's span and its status stay.
      GrpcTelemetry grpc = GrpcTelemetry.builder(openTelemetry).setEmitMessageEvents(false).build();
      this.serverTracing = grpc.createServerInterceptor();
      this.clientTracing = grpc.createClientInterceptor();
    } else {
      var propagator = openTelemetry.getPropagators().getTextMapPropagator();
      this.serverTracing = TraceContextInterceptors.server(propagator);
      this.clientTracing = TraceContextInterceptors.client(propagator);
    }
  }

  /** A fresh registry with JVM metrics, and OpenTelemetry from {@code OTEL_*}. */
  public static MeshTelemetry create(String service) {
    return create(service, "", Env.of(java.util.Map.of()));
  }

  /**
   * As {@link #create(String)}, the resource naming this instance and {@code env}'s {@code OTEL_*}
   * applied.
   */
  public static MeshTelemetry create(String service, String instanceId, Env env) {
    CollectorRegistry registry = new CollectorRegistry(true);
    DefaultExports.register(registry);
    return new MeshTelemetry(registry, Tracing.fromEnvironment(service, instanceId, env));
  }

  public CollectorRegistry registry() {
    return registry;
  }

  public OpenTelemetry openTelemetry() {
    return openTelemetry;
  }

  /** Metrics outermost, so the recorded time includes tracing. */
  public List<ServerInterceptor> serverInterceptors() {
    return List.of(serverTracing, grpcMetrics.serverInterceptor());
  }

  /** For every channel a service opens to another. */
  public List<ClientInterceptor> clientInterceptors() {
    return List.of(clientTracing, grpcMetrics.clientInterceptor());
  }

  @Override
  public void close() {
    if (openTelemetry instanceof OpenTelemetrySdk sdk) {
      sdk.close();
    }
  }
}
