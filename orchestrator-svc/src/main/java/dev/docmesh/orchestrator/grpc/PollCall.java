package dev.docmesh.orchestrator.grpc;

import dev.docmesh.orchestrator.engine.PollReply;
import dev.docmesh.proto.orchestrator.v1.PollTaskResponse;
import dev.docmesh.proto.orchestrator.v1.Task;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/** A PollTask call as the core's {@link PollReply}. */
final class PollCall implements PollReply {
  private final ServerCallStreamObserver<PollTaskResponse> observer;

  /**
   * The call's context learns of a cancellation at once; the observer only after the handler
   * returns.
   */
  private final Context context;

  /** Call on the handler's thread: it captures the call's context. */
  PollCall(StreamObserver<PollTaskResponse> observer) {
    this.observer = (ServerCallStreamObserver<PollTaskResponse>) observer;
    this.context = Context.current();
  }

  @Override
  public boolean isGone() {
    return context.isCancelled() || observer.isCancelled();
  }

  @Override
  public void onGone(Runnable r) {
    observer.setOnCancelHandler(r);
  }

  @Override
  public boolean answer(Task task) {
    PollTaskResponse r =
        task == null
            ? PollTaskResponse.getDefaultInstance()
            : PollTaskResponse.newBuilder().setTask(task).build();
    try {
      observer.onNext(r);
      observer.onCompleted();
      return true;
    } catch (IllegalStateException | StatusRuntimeException cancelled) {
      return false;
    }
  }

  @Override
  public void fail(RuntimeException error) {
    try {
      observer.onError(FailureStatus.of(error));
    } catch (IllegalStateException cancelled) {
      // the call ended meanwhile
    }
  }
}
