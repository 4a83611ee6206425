package dev.docmesh.meshkit.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.DynamicMessage;
import com.google.rpc.BadRequest;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.proto.telemetry.v1.GetMetricsRequest;
import dev.docmesh.proto.telemetry.v1.GetMetricsResponse;
import dev.docmesh.proto.telemetry.v1.TelemetryServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.StatusProto;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What every docmesh server promises its users, checked over real gRPC on loopback: health for the
 * empty name and each service, reflection, /metrics with gRPC metrics, and a shutdown that turns
 * health NOT_SERVING before the server goes away.
 */
public final class StandardServerChecks {
  public static final List<String> STANDARD_SERVICES =
      List.of(
          "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection",
          "docmesh.telemetry.v1.TelemetryService",
          "docmesh.errors.v1.ErrorDetails");

  /** Detail types a docmesh error may carry; reflection must resolve each (grpcurl, buf curl). */
  public static final List<String> ERROR_DETAIL_TYPES =
      List.of(
          "google.rpc.Status",
          "google.rpc.ErrorInfo",
          "google.rpc.BadRequest",
          "google.rpc.RetryInfo",
          "google.rpc.ResourceInfo",
          "google.rpc.PreconditionFailure",
          "google.rpc.QuotaFailure",
          "google.rpc.DebugInfo",
          "google.rpc.RequestInfo",
          "google.rpc.Help",
          "google.rpc.LocalizedMessage");

  private StandardServerChecks() {}

  public static void assertServing(MeshServer server, List<String> ownServices) throws Exception {
    ManagedChannel channel = Loopback.channel(server.grpcPort());
    try {
      HealthGrpc.HealthBlockingStub health =
          HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
      assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
          .isEqualTo(ServingStatus.SERVING);
      for (String name : ownServices) {
        assertThat(
                health.check(HealthCheckRequest.newBuilder().setService(name).build()).getStatus())
            .as("health of %s", name)
            .isEqualTo(ServingStatus.SERVING);
      }
      assertThat(listServices(channel)).containsAll(ownServices).containsAll(STANDARD_SERVICES);

      GetMetricsResponse snapshot =
          TelemetryServiceGrpc.newBlockingStub(channel)
              .getMetrics(GetMetricsRequest.getDefaultInstance());
      assertThat(snapshot.getFamiliesList())
          .extracting(f -> f.getName())
          .contains("grpc_server_handled");
    } finally {
      channel.shutdownNow();
    }
  }

  /**
   * A bad request's details read as grpcurl and buf curl read them: every google.rpc detail type
   * resolves through reflection v1 and v1alpha, and the failure {@code badRequest} provokes decodes
   * from reflected descriptors alone into an ErrorInfo (reason, domain) and a BadRequest naming
   * {@code field}, equal to what the generated classes read.
   */
  public static void assertErrorDetailsReadableThroughReflection(
      MeshServer server, Consumer<ManagedChannel> badRequest, String field) throws Exception {
    ManagedChannel channel = Loopback.channel(server.grpcPort());
    try {
      StatusRuntimeException failure =
          catchThrowableOfType(StatusRuntimeException.class, () -> badRequest.accept(channel));
      assertThat(failure).as("the bad request failed").isNotNull();
      assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      com.google.rpc.Status generated = StatusProto.fromThrowable(failure);
      assertThat(generated).isNotNull();

      for (ReflectionClient.Version version : ReflectionClient.Version.values()) {
        ReflectionClient reflection = new ReflectionClient(channel, version);
        for (String type : ERROR_DETAIL_TYPES) {
          assertThat(reflection.messageType(type).getFullName())
              .as("%s %s", version, type)
              .isEqualTo(type);
        }
        ReflectionClient.DecodedStatus decoded = reflection.decode(failure);
        assertThat(decoded.status().toByteArray()).isEqualTo(generated.toByteArray());
        DynamicMessage info = decoded.detail("google.rpc.ErrorInfo");
        assertThat(ReflectionClient.DecodedStatus.field(info, "reason"))
            .isEqualTo("INVALID_ARGUMENT");
        assertThat(ReflectionClient.DecodedStatus.field(info, "domain")).isEqualTo(Errors.DOMAIN);
        assertThat(info.getUnknownFields().asMap())
            .as("fields the reflected type does not know")
            .isEmpty();
        DynamicMessage bad = decoded.detail("google.rpc.BadRequest");
        assertThat(bad.getUnknownFields().asMap()).isEmpty();
        @SuppressWarnings("unchecked")
        List<DynamicMessage> violations =
            (List<DynamicMessage>) ReflectionClient.DecodedStatus.field(bad, "field_violations");
        assertThat(violations)
            .extracting(v -> ReflectionClient.DecodedStatus.field(v, "field"))
            .containsExactly(field);
        assertThat(Errors.detail(failure, BadRequest.class))
            .get()
            .extracting(b -> b.getFieldViolations(0).getDescription())
            .isEqualTo(ReflectionClient.DecodedStatus.field(violations.get(0), "description"));
      }
    } finally {
      channel.shutdownNow();
    }
  }

  /** /metrics shows the calls made so far, labelled by service, method and code. */
  public static void assertMetricsEndpoint(MeshServer server) throws Exception {
    var response = Loopback.get(server.metricsPort(), "/metrics");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body())
        .contains(
            "grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"grpc.health.v1.Health\",grpc_method=\"Check\",grpc_code=\"OK\",}")
        .contains("grpc_server_handling_seconds_bucket")
        .contains("grpc_server_started_total")
        .contains("jvm_memory_bytes_used");
  }

  /** Shuts the server down while a client watches health; the client sees NOT_SERVING first. */
  public static void assertGracefulShutdown(MeshServer server) throws Exception {
    ManagedChannel channel = Loopback.channel(server.grpcPort());
    List<ServingStatus> seen = new CopyOnWriteArrayList<>();
    CompletableFuture<ClientCallStreamObserver<?>> call = new CompletableFuture<>();
    try {
      HealthGrpc.newStub(channel)
          .watch(
              HealthCheckRequest.getDefaultInstance(),
              new ClientResponseObserver<HealthCheckRequest, HealthCheckResponse>() {
                @Override
                public void beforeStart(
                    ClientCallStreamObserver<HealthCheckRequest> requestStream) {
                  call.complete(requestStream);
                }

                @Override
                public void onNext(HealthCheckResponse value) {
                  seen.add(value.getStatus());
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {}
              });
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(ServingStatus.SERVING));

      CompletableFuture<Void> stopped = CompletableFuture.runAsync(server::shutdown);
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(ServingStatus.NOT_SERVING));
      assertThat(stopped).as("server still waits for the open watch").isNotDone();
      call.get().cancel("seen NOT_SERVING", null);
      stopped.get(30, TimeUnit.SECONDS);
      assertThat(server.isTerminated()).isTrue();
      assertThat(seen).containsSubsequence(ServingStatus.SERVING, ServingStatus.NOT_SERVING);
    } finally {
      channel.shutdownNow();
    }
  }

  public static List<String> listServices(ManagedChannel channel) throws Exception {
    CompletableFuture<List<String>> result = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(channel)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse value) {
                    result.complete(
                        value.getListServicesResponse().getServiceList().stream()
                            .map(ServiceResponse::getName)
                            .toList());
                  }

                  @Override
                  public void onError(Throwable t) {
                    result.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    try {
      return result.get(10, TimeUnit.SECONDS);
    } finally {
      requests.onCompleted();
    }
  }
}
