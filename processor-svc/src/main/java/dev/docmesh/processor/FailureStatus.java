package dev.docmesh.processor;

import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.processor.spi.ProcessingFailure;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;

/**
 * The one place a {@link ProcessingFailure} becomes a gRPC status with {@code google.rpc} details.
 */
final class FailureStatus {
  private FailureStatus() {}

  static StatusRuntimeException of(ProcessingFailure f) {
    if (f.field().isPresent()) {
      return Errors.invalidArgument(f.field().get(), f.description());
    }
    if (f.retryAfter().isPresent()) {
      return Errors.resourceExhausted(f.reason(), f.getMessage(), f.retryAfter().get());
    }
    return Errors.withReason(code(f.kind()), f.reason(), f.getMessage(), f.metadata());
  }

  private static Code code(ProcessingFailure.Kind kind) {
    return switch (kind) {
      case INVALID_INPUT -> Code.INVALID_ARGUMENT;
      case PRECONDITION -> Code.FAILED_PRECONDITION;
      case LIMIT, BUSY -> Code.RESOURCE_EXHAUSTED;
      case TIME_LIMIT -> Code.DEADLINE_EXCEEDED;
      case INTERNAL -> Code.INTERNAL;
    };
  }
}
