package dev.docmesh.orchestrator.engine;

import dev.docmesh.proto.orchestrator.v1.PollTaskResponse;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;

/** A PollTask call parked until a task it can run is READY or its wait ends. */
final class PollWaiter {
  final String workerId;
  final Set<String> processors;
  final ServerCallStreamObserver<PollTaskResponse> observer;
  /** The call's context learns of a cancellation at once; the observer only after the handler returns. */
  private final Context context;
  ScheduledFuture<?> timeout;

  PollWaiter(String workerId, Set<String> processors, ServerCallStreamObserver<PollTaskResponse> observer) {
    this.workerId = workerId;
    this.processors = processors;
    this.observer = observer;
    this.context = Context.current();
  }

  boolean isGone() {
    return context.isCancelled() || observer.isCancelled();
  }

  void cancelTimeout() {
    if (timeout != null) {
      timeout.cancel(false);
    }
  }

  /** False when the caller is gone and the answer cannot reach it. */
  boolean answer(PollTaskResponse r) {
    if (isGone()) {
      return false;
    }
    try {
      observer.onNext(r);
      observer.onCompleted();
      return true;
    } catch (IllegalStateException | StatusRuntimeException cancelled) {
      return false;
    }
  }

  void fail(StatusRuntimeException e) {
    try {
      observer.onError(e);
    } catch (IllegalStateException cancelled) {
      // the call ended meanwhile
    }
  }
}
