package dev.docmesh.bench;

import dev.docmesh.proto.orchestrator.v1.CompleteTaskRequest;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskResponse;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobResponse;
import dev.docmesh.proto.orchestrator.v1.HeartbeatRequest;
import dev.docmesh.proto.orchestrator.v1.HeartbeatResponse;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.PollTaskRequest;
import dev.docmesh.proto.orchestrator.v1.PollTaskResponse;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.SubmitJobResponse;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A bare grpc-java server (default executor, no interceptors, no store) that answers the
 * orchestrator's methods with fixed messages of the same shape as the real answers: the limit of
 * what the same client can get from any grpc-java server for the same calls on this machine.
 */
final class EchoServer implements AutoCloseable {
  private final Server server;

  EchoServer(GetJobResponse job, SubmitJobResponse submitted, PollTaskResponse task) {
    try {
      server =
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
              .maxInboundMessageSize(64 * 1024 * 1024)
              .addService(
                  new OrchestratorServiceGrpc.OrchestratorServiceImplBase() {
                    @Override
                    public void getJob(GetJobRequest r, StreamObserver<GetJobResponse> out) {
                      out.onNext(job);
                      out.onCompleted();
                    }

                    @Override
                    public void submitJob(
                        SubmitJobRequest r, StreamObserver<SubmitJobResponse> out) {
                      out.onNext(submitted);
                      out.onCompleted();
                    }
                  })
              .addService(
                  new TaskQueueServiceGrpc.TaskQueueServiceImplBase() {
                    @Override
                    public void pollTask(PollTaskRequest r, StreamObserver<PollTaskResponse> out) {
                      out.onNext(task);
                      out.onCompleted();
                    }

                    @Override
                    public void completeTask(
                        CompleteTaskRequest r, StreamObserver<CompleteTaskResponse> out) {
                      // the same answer as PollTask's when asked for the next task
                      out.onNext(
                          r.hasLeaseNext() && task.hasTask()
                              ? CompleteTaskResponse.newBuilder()
                                  .setNextTask(task.getTask())
                                  .build()
                              : CompleteTaskResponse.getDefaultInstance());
                      out.onCompleted();
                    }

                    @Override
                    public void heartbeat(
                        HeartbeatRequest r, StreamObserver<HeartbeatResponse> out) {
                      out.onNext(HeartbeatResponse.getDefaultInstance());
                      out.onCompleted();
                    }
                  })
              .build()
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String target() {
    return "127.0.0.1:" + server.getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
