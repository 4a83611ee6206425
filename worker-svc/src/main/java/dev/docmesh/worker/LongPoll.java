package dev.docmesh.worker;

import dev.docmesh.meshkit.grpc.OpaqueMethods;
import dev.docmesh.proto.orchestrator.v1.PollTaskRequest;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import dev.docmesh.proto.relay.v1.OpaquePollTaskResponse;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One PollTask call that can be cancelled when the worker drains. The answer is kept the moment it
 * arrives, not when the waiting slot wakes up: a task the orchestrator leased just before the
 * cancel is then still seen (and handed back) instead of waiting out its lease. The task comes as
 * an OpaqueTask: its upstream outputs go on to the processor as the bytes they came in.
 */
final class LongPoll implements ClientResponseObserver<PollTaskRequest, OpaquePollTaskResponse> {
  private final CompletableFuture<OpaquePollTaskResponse> answer = new CompletableFuture<>();
  private volatile ClientCallStreamObserver<PollTaskRequest> call;
  private volatile boolean cancelled;

  /** Starts the call; its deadline leaves the orchestrator time to answer an empty poll. */
  static LongPoll start(
      TaskQueueServiceGrpc.TaskQueueServiceStub stub, PollTaskRequest request, Duration deadline) {
    LongPoll poll = new LongPoll();
    TaskQueueServiceGrpc.TaskQueueServiceStub bounded =
        stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
    ClientCalls.asyncUnaryCall(
        bounded.getChannel().newCall(OpaqueMethods.POLL_TASK, bounded.getCallOptions()),
        request,
        poll);
    if (poll.cancelled) {
      poll.cancel(); // cancel() ran before the call existed
    }
    return poll;
  }

  void cancel() {
    cancelled = true;
    ClientCallStreamObserver<PollTaskRequest> c = call;
    if (c != null) {
      c.cancel("worker is draining", null);
    }
  }

  /** The answer, once there is one; a failed call throws its StatusRuntimeException. */
  OpaquePollTaskResponse await() throws InterruptedException {
    try {
      return answer.get();
    } catch (ExecutionException e) {
      throw Status.fromThrowable(e.getCause()).asRuntimeException();
    }
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<PollTaskRequest> requestStream) {
    call = requestStream;
  }

  @Override
  public void onNext(OpaquePollTaskResponse response) {
    answer.complete(response);
  }

  @Override
  public void onError(Throwable t) {
    answer.completeExceptionally(t); // no effect when the answer came first
  }

  @Override
  public void onCompleted() {
    answer.complete(OpaquePollTaskResponse.getDefaultInstance());
  }
}
