package dev.docmesh.worker;

import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.meshkit.grpc.Unary;
import dev.docmesh.proto.worker.v1.DrainRequest;
import dev.docmesh.proto.worker.v1.DrainResponse;
import dev.docmesh.proto.worker.v1.GetWorkerStatusRequest;
import dev.docmesh.proto.worker.v1.GetWorkerStatusResponse;
import dev.docmesh.proto.worker.v1.WorkerServiceGrpc;
import io.grpc.stub.StreamObserver;
import java.time.Duration;

/** {@code WorkerService}: status and drain of this worker. */
final class WorkerServiceImpl extends WorkerServiceGrpc.WorkerServiceImplBase {
  private final Worker worker;
  private final Duration defaultGrace;

  WorkerServiceImpl(Worker worker, Duration defaultGrace) {
    this.worker = worker;
    this.defaultGrace = defaultGrace;
  }

  @Override
  public void getWorkerStatus(
      GetWorkerStatusRequest request, StreamObserver<GetWorkerStatusResponse> response) {
    Unary.reply(
        response, () -> GetWorkerStatusResponse.newBuilder().setStatus(worker.status()).build());
  }

  @Override
  public void drain(DrainRequest request, StreamObserver<DrainResponse> response) {
    Unary.reply(
        response,
        () -> {
          Duration grace = defaultGrace;
          if (request.hasGrace()) {
            if (request.getGrace().getSeconds() < 0 || request.getGrace().getNanos() < 0) {
              throw Errors.invalidArgument("grace", "must not be negative");
            }
            grace =
                Duration.ofSeconds(request.getGrace().getSeconds(), request.getGrace().getNanos());
          }
          String reason = request.getReason().isBlank() ? "Drain called" : request.getReason();
          return DrainResponse.newBuilder().setStatus(worker.drain(grace, reason)).build();
        });
  }
}
