package dev.docmesh.meshkit.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.metrics.MeshTelemetry;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.proto.worker.v1.GetWorkerStatusRequest;
import dev.docmesh.proto.worker.v1.GetWorkerStatusResponse;
import dev.docmesh.proto.worker.v1.WorkerServiceGrpc;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Over real gRPC on loopback, a caller's trace context reaches a service's handler and the calls
 * that handler makes to the next service, whether the service records spans or only carries the
 * context.
 */
class TraceContextInterceptorsTest {
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String CALLER_SPAN = "00f067aa0ba902b7";

  /** What a handler saw as current. */
  record Seen(SpanContext span, String baggage) {}

  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  @Test
  void withoutRecordedSpansTheCallersContextIsCarriedAsIs() throws Exception {
    MeshTelemetry telemetry = MeshTelemetry.create("worker", "w", Env.of(Map.of()));
    closing.add(telemetry);
    assertThat(Tracing.recordsSpans(telemetry.openTelemetry())).isFalse();

    List<Seen> seen = callThroughTwoServices(telemetry);

    SpanContext first = seen.get(0).span();
    assertThat(first.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(first.getSpanId())
        .as("the caller's span, not an unrecorded one")
        .isEqualTo(CALLER_SPAN);
    assertThat(first.isRemote()).isTrue();
    assertThat(first.getTraceState().get("vendor")).isEqualTo("v1");
    assertThat(seen.get(0).baggage()).isEqualTo("tenant-7");
    SpanContext second = seen.get(1).span();
    assertThat(second.getTraceId()).as("the next hop stays in the trace").isEqualTo(TRACE_ID);
    assertThat(second.getSpanId()).isEqualTo(CALLER_SPAN);
    assertThat(seen.get(1).baggage()).isEqualTo("tenant-7");
  }

  @Test
  void withRecordedSpansEachHopIsASpanOfItsOwnInTheCallersTrace() throws Exception {
    MeshTelemetry telemetry =
        MeshTelemetry.create(
            "worker", "w", Env.of(Map.of("OTEL_TRACES_SAMPLER", "parentbased_always_on")));
    closing.add(telemetry);
    assertThat(Tracing.recordsSpans(telemetry.openTelemetry())).isTrue();

    List<Seen> seen = callThroughTwoServices(telemetry);

    SpanContext first = seen.get(0).span();
    assertThat(first.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(first.getSpanId()).as("the server's own span").isNotEqualTo(CALLER_SPAN);
    SpanContext second = seen.get(1).span();
    assertThat(second.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(second.getSpanId()).isNotIn(CALLER_SPAN, first.getSpanId());
    assertThat(seen.get(1).baggage()).isEqualTo("tenant-7");
  }

  /**
   * A client with a traceparent, tracestate and baggage calls service one, whose handler calls
   * service two; both handlers record what was current. All through {@code telemetry}'s
   * interceptors, as MeshServer and the services' channels install them.
   */
  private List<Seen> callThroughTwoServices(MeshTelemetry telemetry) throws Exception {
    List<Seen> seen = new CopyOnWriteArrayList<>();
    Server two = start(telemetry, seen, null);
    ManagedChannel toTwo = Loopback.channel(two.getPort());
    closing.add(toTwo::shutdownNow);
    WorkerServiceGrpc.WorkerServiceBlockingStub next =
        WorkerServiceGrpc.newBlockingStub(
            ClientInterceptors.intercept(toTwo, telemetry.clientInterceptors()));
    Server one = start(telemetry, seen, next);
    ManagedChannel toOne = Loopback.channel(one.getPort());
    closing.add(toOne::shutdownNow);

    Metadata headers = new Metadata();
    headers.put(key("traceparent"), "00-" + TRACE_ID + "-" + CALLER_SPAN + "-01");
    headers.put(key("tracestate"), "vendor=v1");
    headers.put(key("baggage"), "tenant=tenant-7");
    WorkerServiceGrpc.newBlockingStub(toOne)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .getWorkerStatus(GetWorkerStatusRequest.getDefaultInstance());
    assertThat(seen).hasSize(2);
    return seen;
  }

  private Server start(
      MeshTelemetry telemetry, List<Seen> seen, WorkerServiceGrpc.WorkerServiceBlockingStub next)
      throws Exception {
    WorkerServiceGrpc.WorkerServiceImplBase impl =
        new WorkerServiceGrpc.WorkerServiceImplBase() {
          @Override
          public void getWorkerStatus(
              GetWorkerStatusRequest r, StreamObserver<GetWorkerStatusResponse> out) {
            seen.add(
                new Seen(
                    Span.current().getSpanContext(), Baggage.current().getEntryValue("tenant")));
            if (next != null) {
              next.getWorkerStatus(r);
            }
            out.onNext(GetWorkerStatusResponse.getDefaultInstance());
            out.onCompleted();
          }
        };
    Server server =
        NettyServerBuilder.forPort(0)
            .addService(ServerInterceptors.intercept(impl, telemetry.serverInterceptors()))
            .build()
            .start();
    closing.add(server::shutdownNow);
    return server;
  }

  private static Metadata.Key<String> key(String name) {
    return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
  }
}
