package dev.docmesh.orchestrator.grpc;

import dev.docmesh.orchestrator.engine.JobEngine;
import dev.docmesh.orchestrator.engine.PollReply;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.relay.v1.OpaqueCompleteTaskResponse;
import dev.docmesh.proto.relay.v1.OpaqueTask;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A CompleteTask call. Answered once the completion is durable; when it asked for the worker's next
 * task ({@code lease_next}) it is also the {@link PollReply} of that lease, held until then and
 * sent in the same answer. A next task whose answer cannot be sent (the call was cancelled, the
 * completion failed to become durable) is handed back at once, as for an undelivered PollTask.
 */
final class CompleteCall implements PollReply {
  private final StreamObserver<OpaqueCompleteTaskResponse> observer;
  private final JobEngine engine;
  private final CompletableFuture<OpaqueTask> next = new CompletableFuture<>();

  CompleteCall(StreamObserver<OpaqueCompleteTaskResponse> observer, JobEngine engine) {
    this.observer = observer;
    this.engine = engine;
  }

  /**
   * Never: the lease is answered to this object, which sends it later with the completion and hands
   * it back itself when it cannot (the dispatcher would not answer a caller it thinks gone).
   */
  @Override
  public boolean isGone() {
    return false;
  }

  @Override
  public void onGone(Runnable r) {
    // asked with no wait: never parked, so nothing to withdraw
  }

  @Override
  public boolean answer(OpaqueTask task) {
    next.complete(task); // sent with the completion's answer
    return true;
  }

  @Override
  public void fail(RuntimeException error) {
    next.complete(null); // the completion stands; the worker polls for its next task
  }

  /** Sends the answer once {@code completed} is durable and the next task (if asked) is settled. */
  void answerWhenDurable(CompletableFuture<JobState> completed) {
    completed.whenComplete(
        (state, failure) -> next.thenAccept(task -> settle(state, failure, task)));
  }

  private void settle(JobState state, Throwable failure, OpaqueTask task) {
    boolean sent = false;
    try {
      if (failure == null) {
        OpaqueCompleteTaskResponse.Builder r =
            OpaqueCompleteTaskResponse.newBuilder().setJobState(state);
        if (task != null) {
          r.setNextTask(task);
        }
        observer.onNext(r.build());
        observer.onCompleted();
        sent = true;
      } else {
        observer.onError(
            FailureStatus.of(
                failure instanceof CompletionException ? failure.getCause() : failure));
      }
    } catch (IllegalStateException | StatusRuntimeException cancelled) {
      // the call ended meanwhile
    }
    if (!sent && task != null) {
      engine.handBackUndelivered(task.getJobId(), task.getStage(), task.getLeaseToken());
    }
  }
}
