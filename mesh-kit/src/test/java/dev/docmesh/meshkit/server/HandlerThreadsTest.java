package dev.docmesh.meshkit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.meshkit.server.ServiceLauncher.ServiceSpec;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.proto.worker.v1.DrainRequest;
import dev.docmesh.proto.worker.v1.DrainResponse;
import dev.docmesh.proto.worker.v1.GetWorkerStatusRequest;
import dev.docmesh.proto.worker.v1.GetWorkerStatusResponse;
import dev.docmesh.proto.worker.v1.WorkerServiceGrpc;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code handlersOnNetworkThreads(methods)} over real gRPC: the listed method runs where the call
 * was read, every other one on the server's pool, in its call's context, and a call blocked there
 * holds up neither the listed method nor health checks.
 */
class HandlerThreadsTest {
  private final AtomicReference<String> statusThread = new AtomicReference<>();
  private final AtomicReference<String> drainThread = new AtomicReference<>();
  private final AtomicReference<Long> drainDeadlineMillis = new AtomicReference<>();
  private final CountDownLatch drainEntered = new CountDownLatch(1);
  private final CountDownLatch releaseDrain = new CountDownLatch(1);
  private MeshServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    WorkerServiceGrpc.WorkerServiceImplBase impl =
        new WorkerServiceGrpc.WorkerServiceImplBase() {
          @Override
          public void getWorkerStatus(
              GetWorkerStatusRequest r, StreamObserver<GetWorkerStatusResponse> out) {
            statusThread.set(Thread.currentThread().getName());
            out.onNext(GetWorkerStatusResponse.getDefaultInstance());
            out.onCompleted();
          }

          @Override
          public void drain(DrainRequest r, StreamObserver<DrainResponse> out) {
            drainThread.set(Thread.currentThread().getName());
            io.grpc.Deadline d = Context.current().getDeadline();
            drainDeadlineMillis.set(d == null ? null : d.timeRemaining(TimeUnit.MILLISECONDS));
            drainEntered.countDown();
            try {
              releaseDrain.await(30, TimeUnit.SECONDS); // a handler that blocks
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            out.onNext(DrainResponse.getDefaultInstance());
            out.onCompleted();
          }
        };
    server =
        ServiceLauncher.start(
            new ServiceSpec("handlers-test", 0, 0),
            Loopback.env(),
            (b, env) ->
                b.handlersOnNetworkThreads(WorkerServiceGrpc.getGetWorkerStatusMethod())
                    .addService(impl));
    channel = Loopback.channel(server.grpcPort());
  }

  @AfterEach
  void stop() {
    releaseDrain.countDown();
    channel.shutdownNow();
    server.close();
  }

  @Test
  void theListedMethodRunsOnTheNetworkThreadTheOthersOnThePoolInTheirContext() throws Exception {
    WorkerServiceGrpc.WorkerServiceFutureStub async = WorkerServiceGrpc.newFutureStub(channel);
    var drained =
        async.withDeadlineAfter(20, TimeUnit.SECONDS).drain(DrainRequest.getDefaultInstance());
    assertThat(drainEntered.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(drainThread.get()).startsWith("handlers-test-handlers");
    assertThat(drainDeadlineMillis.get())
        .as("the offloaded handler sees its call's deadline")
        .isNotNull()
        .isBetween(1L, 20_000L);

    // Drain is blocked on a pool thread: the listed method and health checks still answer.
    WorkerServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .getWorkerStatus(GetWorkerStatusRequest.getDefaultInstance());
    assertThat(statusThread.get())
        .as("run where the call was read")
        .doesNotStartWith("handlers-test-handlers")
        .contains("grpc");
    assertThat(
            HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance())
                .getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(drained.isDone()).isFalse();

    releaseDrain.countDown();
    assertThat(drained.get(10, TimeUnit.SECONDS)).isNotNull();
  }
}
