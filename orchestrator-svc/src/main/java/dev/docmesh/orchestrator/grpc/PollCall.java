package dev.docmesh.orchestrator.grpc;

import dev.docmesh.orchestrator.engine.PollReply;
import dev.docmesh.proto.relay.v1.OpaquePollTaskResponse;
import dev.docmesh.proto.relay.v1.OpaqueTask;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/** A PollTask call as the core's {@link PollReply}. */
final class PollCall implements PollReply {
  private final ServerCallStreamObserver<OpaquePollTaskResponse> observer;

  /**
   * The call's context learns of a cancellation at once; the observer only after the handler
   * returns.
   */
  private final Context context;

  /** Call on the handler's thread: it captures the call's context. */
  PollCall(StreamObserver<OpaquePollTaskResponse> observer) {
    this.observer = (ServerCallStreamObserver<OpaquePollTaskResponse>) observer;
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
  public boolean answer(OpaqueTask task) {
    OpaquePollTaskResponse r =
        task == null
            ? OpaquePollTaskResponse.getDefaultInstance()
            : OpaquePollTaskResponse.newBuilder().setTask(task).build();
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
