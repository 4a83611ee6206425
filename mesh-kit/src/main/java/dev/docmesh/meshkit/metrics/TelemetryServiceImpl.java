package dev.docmesh.meshkit.metrics;

import dev.docmesh.proto.telemetry.v1.GetMetricsRequest;
import dev.docmesh.proto.telemetry.v1.GetMetricsResponse;
import dev.docmesh.proto.telemetry.v1.TelemetryServiceGrpc;
import io.grpc.stub.StreamObserver;
import io.prometheus.client.CollectorRegistry;
import java.time.Instant;

/** {@code TelemetryService/GetMetrics}: the registry that /metrics serves, as a proto snapshot. */
public final class TelemetryServiceImpl extends TelemetryServiceGrpc.TelemetryServiceImplBase {
  private final CollectorRegistry registry;
  private final String service;
  private final String instance;
  private final Instant startTime;

  public TelemetryServiceImpl(
      CollectorRegistry registry, String service, String instance, Instant startTime) {
    this.registry = registry;
    this.service = service;
    this.instance = instance;
    this.startTime = startTime;
  }

  @Override
  public void getMetrics(GetMetricsRequest request, StreamObserver<GetMetricsResponse> response) {
    response.onNext(MetricsSnapshot.of(registry, request, service, instance, startTime));
    response.onCompleted();
  }
}
