package dev.docmesh.orchestrator.engine;

import dev.docmesh.proto.orchestrator.v1.PollTaskResponse;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;

/** A PollTask call parked until a task it can run is READY or its wait ends. */
final class PollWaiter {
  final String workerId;
  final Set<String> processors;
  final ServerCallStreamObserver<PollTaskResponse> observer;
  ScheduledFuture<?> timeout;

  PollWaiter(String workerId, Set<String> processors, ServerCallStreamObserver<PollTaskResponse> observer) {
    this.workerId = workerId;
    this.processors = processors;
    this.observer = observer;
  }

  void cancelTimeout() {
    if (timeout != null) {
      timeout.cancel(false);
    }
  }

  void answer(PollTaskResponse r) {
    try {
      observer.onNext(r);
      observer.onCompleted();
    } catch (IllegalStateException | io.grpc.StatusRuntimeException cancelled) {
      // the call was cancelled meanwhile; a lease handed to it expires and is re-dispatched
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
