package dev.docmesh.cli;

import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * Follows one job to its end through WatchJob. A dropped connection is resumed from the last
 * sequence seen, so no stored event is missed or shown twice (progress, never stored, is live
 * only).
 */
final class JobWatcher {
  private static final Duration MAX_OUTAGE = Duration.ofMinutes(2);

  private final OrchestratorServiceGrpc.OrchestratorServiceBlockingStub stub;

  JobWatcher(OrchestratorServiceGrpc.OrchestratorServiceBlockingStub stub) {
    this.stub = stub.withDeadline(null);
  }

  /** Streams events to {@code onEvent} until the terminal one; returns the final state. */
  JobState follow(String jobId, long afterSequence, Consumer<JobEvent> onEvent)
      throws InterruptedException {
    long last = afterSequence;
    long backoffMs = 200;
    long outageStart = 0;
    while (true) {
      try {
        Iterator<WatchJobResponse> it =
            stub.watchJob(
                WatchJobRequest.newBuilder().setJobId(jobId).setAfterSequence(last).build());
        while (it.hasNext()) {
          JobEvent e = it.next().getEvent();
          // Progress is not stored: it carries the sequence of the stored event it follows, so it
          // is
          // new unless older than that one.
          if (e.hasTaskProgressed() ? e.getSequence() < last : e.getSequence() <= last) {
            continue;
          }
          last = e.getSequence();
          outageStart = 0;
          backoffMs = 200;
          onEvent.accept(e);
          if (isTerminal(e.getJobState())) {
            return e.getJobState();
          }
        }
        // The server completes the stream after the terminal event; a completion before it means
        // the server went away mid-stream: resume.
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (code != Status.Code.UNAVAILABLE
            && code != Status.Code.CANCELLED
            && code != Status.Code.INTERNAL) {
          throw e;
        }
        if (outageStart == 0) {
          outageStart = System.nanoTime();
        } else if (System.nanoTime() - outageStart > MAX_OUTAGE.toNanos()) {
          throw e;
        }
      }
      Thread.sleep(backoffMs); // back-off between reconnects, not a wait for a condition
      backoffMs = Math.min(backoffMs * 2, 5000);
    }
  }

  static boolean isTerminal(JobState s) {
    return s == JobState.JOB_STATE_SUCCEEDED
        || s == JobState.JOB_STATE_FAILED
        || s == JobState.JOB_STATE_CANCELLED;
  }
}
