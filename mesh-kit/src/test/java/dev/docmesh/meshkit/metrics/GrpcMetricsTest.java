package dev.docmesh.meshkit.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.worker.v1.DrainRequest;
import dev.docmesh.proto.worker.v1.DrainResponse;
import dev.docmesh.proto.worker.v1.GetWorkerStatusRequest;
import dev.docmesh.proto.worker.v1.GetWorkerStatusResponse;
import dev.docmesh.proto.worker.v1.WorkerServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.prometheus.client.CollectorRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Unit test of the interceptors' labels, over the in-process transport. */
class GrpcMetricsTest {
  private static final String SERVICE = "docmesh.worker.v1.WorkerService";

  private final CollectorRegistry registry = new CollectorRegistry();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    GrpcMetrics metrics = new GrpcMetrics(registry);
    WorkerServiceGrpc.WorkerServiceImplBase impl =
        new WorkerServiceGrpc.WorkerServiceImplBase() {
          @Override
          public void getWorkerStatus(
              GetWorkerStatusRequest r, StreamObserver<GetWorkerStatusResponse> out) {
            out.onNext(GetWorkerStatusResponse.getDefaultInstance());
            out.onCompleted();
          }

          @Override
          public void drain(DrainRequest r, StreamObserver<DrainResponse> out) {
            out.onError(
                Errors.withReason(Status.Code.FAILED_PRECONDITION, "ALREADY_DRAINED", "drained"));
          }
        };
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(ServerInterceptors.intercept(impl, metrics.serverInterceptor()))
            .build()
            .start();
    channel =
        InProcessChannelBuilder.forName(name)
            .directExecutor()
            .intercept(metrics.clientInterceptor())
            .build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  void countsOkAndErrorCodesWithTheirLabels() {
    WorkerServiceGrpc.WorkerServiceBlockingStub stub = WorkerServiceGrpc.newBlockingStub(channel);
    stub.getWorkerStatus(GetWorkerStatusRequest.getDefaultInstance());
    stub.getWorkerStatus(GetWorkerStatusRequest.getDefaultInstance());
    assertThatThrownBy(() -> stub.drain(DrainRequest.getDefaultInstance()))
        .isInstanceOf(StatusRuntimeException.class);

    assertThat(sample("grpc_server_started_total", "GetWorkerStatus")).isEqualTo(2.0);
    assertThat(handled("server", "GetWorkerStatus", "OK")).isEqualTo(2.0);
    assertThat(handled("server", "Drain", "FAILED_PRECONDITION")).isEqualTo(1.0);
    assertThat(handled("server", "Drain", "OK")).isNull();
    assertThat(handled("client", "GetWorkerStatus", "OK")).isEqualTo(2.0);
    assertThat(handled("client", "Drain", "FAILED_PRECONDITION")).isEqualTo(1.0);
    assertThat(
            registry.getSampleValue(
                "grpc_server_handling_seconds_count",
                new String[] {"grpc_type", "grpc_service", "grpc_method"},
                new String[] {"unary", SERVICE, "Drain"}))
        .isEqualTo(1.0);
    assertThat(sample("grpc_server_msg_sent_total", "GetWorkerStatus")).isEqualTo(2.0);
  }

  private Double sample(String name, String method) {
    return registry.getSampleValue(
        name,
        new String[] {"grpc_type", "grpc_service", "grpc_method"},
        new String[] {"unary", SERVICE, method});
  }

  private Double handled(String side, String method, String code) {
    return registry.getSampleValue(
        "grpc_" + side + "_handled_total",
        new String[] {"grpc_type", "grpc_service", "grpc_method", "grpc_code"},
        new String[] {"unary", SERVICE, method, code});
  }
}
