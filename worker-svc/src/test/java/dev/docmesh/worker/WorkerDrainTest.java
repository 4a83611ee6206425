package dev.docmesh.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.proto.worker.v1.DrainRequest;
import dev.docmesh.proto.worker.v1.GetWorkerStatusRequest;
import dev.docmesh.proto.worker.v1.WorkerState;
import dev.docmesh.proto.worker.v1.WorkerStatus;
import dev.docmesh.worker.fakes.FakeProcessor;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Drain and SIGTERM: stop polling, let in-flight work finish within the grace, hand the rest back.
 */
class WorkerDrainTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  @RegisterExtension final FakeMesh.PerTest meshes = new FakeMesh.PerTest();
  private FakeMesh mesh;

  private WorkerStatus status() {
    return mesh.control.getWorkerStatus(GetWorkerStatusRequest.getDefaultInstance()).getStatus();
  }

  @Test
  void drainHandsBackWhatCannotFinishAtOnceAndStopsPolling() throws Exception {
    mesh = meshes.start(Map.of("DOCMESH_WORKER_SLOTS", "2"));
    CountDownLatch started = new CountDownLatch(1);
    mesh.processor.behaviour = FakeProcessor.hangUntilCancelled(started);
    var task = mesh.offer("pdf.validate");
    assertThat(started.await(15, TimeUnit.SECONDS)).isTrue();
    await().atMost(WAIT).until(() -> status().getActiveTasksCount() == 1);
    WorkerStatus running = status();
    assertThat(running.getSlotsBusy()).isEqualTo(1);
    assertThat(running.getActiveTasks(0).getTaskId()).isEqualTo(task.getTaskId());
    assertThat(running.getActiveTasks(0).getProgress().getDone()).isEqualTo(1);

    long asked = System.nanoTime();
    WorkerStatus draining =
        mesh.control
            .drain(
                DrainRequest.newBuilder()
                    .setGrace(com.google.protobuf.Duration.newBuilder().setNanos(200_000_000))
                    .setReason("test")
                    .build())
            .getStatus();
    assertThat(draining.getState()).isEqualTo(WorkerState.WORKER_STATE_DRAINING);
    assertThat(health()).isEqualTo(ServingStatus.NOT_SERVING);

    await().atMost(WAIT).until(() -> mesh.queue.failures.size() == 1);
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
    var handBack = mesh.queue.failures.get(0);
    assertThat(handBack.getRetryable()).isTrue();
    assertThat(handBack.getError().getReason()).isEqualTo("WORKER_DRAINING");
    assertThat(handBack.getLeaseToken()).isEqualTo(task.getLeaseToken());
    long leaseMs = com.google.protobuf.util.Durations.toMillis(task.getLeaseDuration());
    // after the 200 ms grace, and long before the lease would have expired (which would also hand
    // it back)
    assertThat(tookMs)
        .as("handed back after the grace, not at lease expiry (%s ms)", leaseMs)
        .isGreaterThanOrEqualTo(200)
        .isLessThan(leaseMs / 2);
    await().atMost(WAIT).until(() -> mesh.processor.cancelledCalls.get() == 1);
    await().atMost(WAIT).until(() -> status().getState() == WorkerState.WORKER_STATE_DRAINED);
    assertThat(mesh.tasks("pdf.validate", "handed_back")).isEqualTo(1);

    int polls = mesh.queue.polls.size();
    mesh.offer("pdf.validate");
    await()
        .during(Duration.ofSeconds(1))
        .atMost(WAIT)
        .until(() -> mesh.queue.polls.size() == polls);
    assertThat(mesh.processor.requests).hasSize(1);
    // idempotent
    assertThat(mesh.control.drain(DrainRequest.getDefaultInstance()).getStatus().getState())
        .isEqualTo(WorkerState.WORKER_STATE_DRAINED);
  }

  @Test
  void drainLetsATaskThatFinishesWithinTheGraceComplete() throws Exception {
    mesh = meshes.start();
    FakeProcessor.Gate gate = mesh.processor.holdCalls();
    mesh.offer("pdf.validate");
    assertThat(gate.started()).isTrue();

    mesh.control.drain(
        DrainRequest.newBuilder()
            .setGrace(com.google.protobuf.Duration.newBuilder().setSeconds(10))
            .build());
    gate.release();
    await().atMost(WAIT).until(() -> status().getState() == WorkerState.WORKER_STATE_DRAINED);
    assertThat(mesh.queue.completions).hasSize(1);
    assertThat(mesh.queue.failures).isEmpty();
    assertThat(mesh.processor.cancelledCalls.get()).isZero();
  }

  @Test
  void sigtermDrainsBeforeTheServerStops() throws Exception {
    mesh = meshes.start(Map.of("DOCMESH_SHUTDOWN_GRACE", "300ms"));
    CountDownLatch started = new CountDownLatch(1);
    mesh.processor.behaviour = FakeProcessor.hangUntilCancelled(started);
    mesh.offer("pdf.validate");
    assertThat(started.await(15, TimeUnit.SECONDS)).isTrue();

    long asked = System.nanoTime();
    CompletableFuture.runAsync(mesh.worker::shutdown).get(30, TimeUnit.SECONDS);
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
    assertThat(mesh.queue.failures).hasSize(1);
    assertThat(mesh.queue.failures.get(0).getRetryable()).isTrue();
    assertThat(mesh.worker.isTerminated()).isTrue();
    // the stop waited for the drain: the hanging task was given its grace, then handed back, before
    // the server went
    assertThat(tookMs).as("shutdown took").isGreaterThanOrEqualTo(300);
  }

  private ServingStatus health() {
    ManagedChannel channel = Loopback.channel(mesh.worker.grpcPort());
    try {
      return HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance())
          .getStatus();
    } finally {
      channel.shutdownNow();
    }
  }
}
