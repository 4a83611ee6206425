package dev.docmesh.orchestrator.grpc;

import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.orchestrator.Failure;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where the orchestrator's {@link Failure}s become gRPC statuses with {@code
 * google.rpc} details (ErrorInfo reason, BadRequest field, ResourceInfo, RetryInfo). Anything that
 * is not a Failure is a bug or an I/O fault: logged, and INTERNAL to the client.
 */
final class FailureStatus {
  private static final Logger log = LoggerFactory.getLogger(FailureStatus.class);

  private FailureStatus() {}

  static StatusRuntimeException of(Throwable t) {
    if (t instanceof StatusRuntimeException s) {
      return s;
    }
    if (t instanceof Failure.InvalidArgument f) {
      return Errors.invalidArgument(f.field(), f.description());
    }
    if (t instanceof Failure.NotFound f) {
      return Errors.notFound(f.resourceType(), f.name());
    }
    if (t instanceof Failure.LeaseStale f) {
      return Errors.withReason(
          Status.Code.FAILED_PRECONDITION,
          "LEASE_STALE",
          f.getMessage(),
          Map.of("task_id", f.taskId()));
    }
    if (t instanceof Failure.JobNotFinished f) {
      return Errors.withReason(Status.Code.FAILED_PRECONDITION, "JOB_NOT_FINISHED", f.getMessage());
    }
    if (t instanceof Failure.Backlog f) {
      return Errors.resourceExhausted(f.reason(), f.getMessage(), f.retryAfter(), f.metadata());
    }
    if (t instanceof Failure.StoreUnavailable f) {
      // UNAVAILABLE, not RESOURCE_EXHAUSTED: it is the code gRPC retry policies and clients retry
      // by default (a submit is safe to repeat with its request_id), and the fault is the server's,
      // not the caller's quota. ErrorInfo says which (STORE_FULL / STORE_UNAVAILABLE), RetryInfo
      // when.
      return Errors.unavailable(f.reason(), f.getMessage(), f.retryAfter());
    }
    if (t instanceof Failure.Unavailable f) {
      return Status.UNAVAILABLE
          .withDescription(f.getMessage())
          .withCause(f.getCause())
          .asRuntimeException();
    }
    if (!(t instanceof Failure.Internal)) {
      log.error("call failed", t);
    }
    return Status.INTERNAL
        .withDescription(t.getMessage())
        .withCause(t.getCause())
        .asRuntimeException();
  }
}
