package dev.docmesh.orchestrator.grpc;

import dev.docmesh.orchestrator.events.StreamSink;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/** A server-streaming call as the core's {@link StreamSink}. */
final class CallSink<T> implements StreamSink<T> {
  private final ServerCallStreamObserver<T> observer;

  CallSink(StreamObserver<T> observer) {
    this.observer = (ServerCallStreamObserver<T>) observer;
  }

  @Override
  public boolean isReady() {
    return observer.isReady();
  }

  @Override
  public void onReady(Runnable r) {
    observer.setOnReadyHandler(r);
  }

  @Override
  public void onGone(Runnable r) {
    observer.setOnCancelHandler(r);
    observer.setOnCloseHandler(r);
  }

  @Override
  public boolean isGone() {
    return observer.isCancelled();
  }

  @Override
  public void send(T message) {
    observer.onNext(message);
  }

  @Override
  public void end() {
    observer.onCompleted();
  }

  @Override
  public void fail(RuntimeException error) {
    try {
      observer.onError(FailureStatus.of(error));
    } catch (IllegalStateException alreadyClosed) {
      // the call ended meanwhile
    }
  }
}
