package dev.docmesh.processor;

import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import io.grpc.stub.ServerCallStreamObserver;

/**
 * The response side of one Process call, written from the processing thread (progress,
 * result) and from the timer (time limit). The first terminal event wins; anything after it,
 * or after the client went away, is dropped.
 */
final class CallSink {
  private final ServerCallStreamObserver<ProcessResponse> observer;
  private boolean finished;

  CallSink(ServerCallStreamObserver<ProcessResponse> observer) {
    this.observer = observer;
  }

  synchronized void progress(Progress progress) {
    if (!finished && !observer.isCancelled()) {
      observer.onNext(ProcessResponse.newBuilder().setProgress(progress).build());
    }
  }

  /** Sends the result and completes the stream; false when the call had already ended. */
  synchronized boolean complete(StageOutput result) {
    if (finished) {
      return false;
    }
    finished = true;
    if (!observer.isCancelled()) {
      observer.onNext(ProcessResponse.newBuilder().setResult(result).build());
      observer.onCompleted();
    }
    return true;
  }

  /** Fails the stream; false when the call had already ended. */
  synchronized boolean fail(Throwable error) {
    if (finished) {
      return false;
    }
    finished = true;
    if (!observer.isCancelled()) {
      observer.onError(error);
    }
    return true;
  }

  /** Marks the call ended without sending anything (the client cancelled). */
  synchronized boolean abandon() {
    boolean first = !finished;
    finished = true;
    return first;
  }
}
