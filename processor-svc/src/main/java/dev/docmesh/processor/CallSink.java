package dev.docmesh.processor;

import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.function.Consumer;

/**
 * The response side of one Process call, written from the processing thread (progress, result) and
 * from the timer (time limit). The first terminal event wins; anything after it, or after the
 * client went away, is dropped. {@code ended} learns the outcome ("ok", "cancelled" or the
 * ErrorInfo reason) once, before the client sees the end of the call.
 */
final class CallSink {
  static final String OK = "ok";
  static final String CANCELLED = "cancelled";

  private final ServerCallStreamObserver<ProcessResponse> observer;
  private final Consumer<String> ended;
  private boolean finished;

  CallSink(ServerCallStreamObserver<ProcessResponse> observer, Consumer<String> ended) {
    this.observer = observer;
    this.ended = ended;
  }

  synchronized void progress(Progress progress) {
    if (!finished && !observer.isCancelled()) {
      observer.onNext(ProcessResponse.newBuilder().setProgress(progress).build());
    }
  }

  /** Sends the result and completes the stream; false when the call had already ended. */
  synchronized boolean complete(StageOutput result) {
    if (!end(OK)) {
      return false;
    }
    if (!observer.isCancelled()) {
      observer.onNext(ProcessResponse.newBuilder().setResult(result).build());
      observer.onCompleted();
    }
    return true;
  }

  /** Fails the stream; false when the call had already ended. */
  synchronized boolean fail(Throwable error) {
    if (!end(Errors.reason(error).orElse(Status.fromThrowable(error).getCode().name()))) {
      return false;
    }
    if (!observer.isCancelled()) {
      observer.onError(error);
    }
    return true;
  }

  /** Marks the call ended without sending anything (the client cancelled). */
  synchronized boolean abandon() {
    return end(CANCELLED);
  }

  private boolean end(String outcome) {
    if (finished) {
      return false;
    }
    finished = true;
    ended.accept(outcome);
    return true;
  }
}
