package dev.docmesh.worker;

import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.orchestrator.v1.JobError;
import io.grpc.Status;

/**
 * A failed attempt as the orchestrator hears it: the error, and whether another attempt is worth
 * it. Transient codes (the target was down, slow or overloaded) are retryable; a document the
 * processor rejected, or that exceeds a configured limit, fails the same way every time and is not.
 */
record TaskFailure(JobError error, boolean retryable) {

  static TaskFailure fromStatus(String stage, Status status, Throwable cause) {
    String reason = Errors.reason(cause).orElse(status.getCode().name());
    JobError error =
        JobError.newBuilder()
            .setStage(stage)
            .setCode(status.getCode().name())
            .setReason(reason)
            .setMessage(
                status.getDescription() == null ? status.getCode().name() : status.getDescription())
            .build();
    return new TaskFailure(error, isRetryable(status.getCode(), reason));
  }

  static TaskFailure handedBack(String stage, String why) {
    return new TaskFailure(
        JobError.newBuilder()
            .setStage(stage)
            .setCode(Status.Code.UNAVAILABLE.name())
            .setReason("WORKER_DRAINING")
            .setMessage(why)
            .build(),
        true);
  }

  static boolean isRetryable(Status.Code code, String reason) {
    if (reason.startsWith("LIMIT_")) {
      return false;
    }
    return switch (code) {
      case UNAVAILABLE,
          DEADLINE_EXCEEDED,
          ABORTED,
          RESOURCE_EXHAUSTED,
          INTERNAL,
          UNKNOWN,
          CANCELLED ->
          true;
      default -> false;
    };
  }
}
