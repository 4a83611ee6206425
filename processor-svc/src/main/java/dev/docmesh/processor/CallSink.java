package dev.docmesh.processor;

import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.function.Consumer;

/**
 * The response side of one Process call, written from the processing thread (progress, results) and
 * from the timer (time limit). Its stages (the call's processor, then each step) take turns: the
 * one open sends its events, tagged with its stage, until its result closes it. The first terminal
 * event wins; anything after it, from a stage no longer open, or after the client went away, is
 * dropped. Outcomes ("ok", "cancelled" or the ErrorInfo reason) are learnt once each before the
 * client sees them: a stage's when its result goes out or the call ends while it is open, the
 * call's end by {@code ended}.
 */
final class CallSink {
  static final String OK = "ok";
  static final String CANCELLED = "cancelled";

  private final ServerCallStreamObserver<ProcessResponse> observer;
  private final Runnable ended;
  private String stage; // ProcessResponse.stage of the open stage; null between stages
  private Consumer<String> stageEnded;
  private boolean finished;

  CallSink(ServerCallStreamObserver<ProcessResponse> observer, Runnable ended) {
    this.observer = observer;
    this.ended = ended;
  }

  /**
   * Opens {@code stage}, its events tagged with it; {@code outcome} learns how it ended. False when
   * the call has ended (the client went away between two stages).
   */
  synchronized boolean open(String stage, Consumer<String> outcome) {
    if (finished) {
      return false;
    }
    this.stage = stage;
    this.stageEnded = outcome;
    return true;
  }

  synchronized void progress(String stage, Progress progress) {
    if (!finished && stage.equals(this.stage) && !observer.isCancelled()) {
      observer.onNext(ProcessResponse.newBuilder().setStage(stage).setProgress(progress).build());
    }
  }

  /**
   * Sends the result of {@code stage} and closes it, completing the stream when it is the call's
   * {@code last}; false when the stage or the call had already ended.
   */
  synchronized boolean result(String stage, StageOutput result, boolean last) {
    if (finished || !stage.equals(this.stage)) {
      return false;
    }
    if (last) {
      finish(OK);
    } else {
      close(OK);
    }
    if (!observer.isCancelled()) {
      observer.onNext(ProcessResponse.newBuilder().setStage(stage).setResult(result).build());
      if (last) {
        observer.onCompleted();
      }
    }
    return true;
  }

  /** Fails the stream; false when the call had already ended. */
  synchronized boolean fail(Throwable error) {
    if (!finish(Errors.reason(error).orElse(Status.fromThrowable(error).getCode().name()))) {
      return false;
    }
    if (!observer.isCancelled()) {
      observer.onError(error);
    }
    return true;
  }

  /**
   * Fails the stream if {@code stage} is still open: a stage's time limit, which loses to its
   * result.
   */
  synchronized boolean fail(String stage, Throwable error) {
    return stage.equals(this.stage) && fail(error);
  }

  /** Marks the call ended without sending anything (the client cancelled). */
  synchronized boolean abandon() {
    return finish(CANCELLED);
  }

  private boolean finish(String outcome) {
    if (finished) {
      return false;
    }
    finished = true;
    close(outcome);
    ended.run();
    return true;
  }

  private void close(String outcome) {
    Consumer<String> outcomeOfStage = stageEnded;
    stage = null;
    stageEnded = null;
    if (outcomeOfStage != null) {
      outcomeOfStage.accept(outcome);
    }
  }
}
