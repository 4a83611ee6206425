package dev.docmesh.meshkit.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * gRPC errors with {@code google.rpc} details, the one way every docmesh service reports failure.
 * Clients read the reason from {@link ErrorInfo} (domain {@value #DOMAIN}), the bad field from
 * {@link BadRequest}, and when to retry from {@link RetryInfo}.
 */
public final class Errors {
  public static final String DOMAIN = "docmesh.dev";

  private Errors() {}

  /** INVALID_ARGUMENT naming the field, with a BadRequest detail. */
  public static StatusRuntimeException invalidArgument(String field, String description) {
    BadRequest bad =
        BadRequest.newBuilder()
            .addFieldViolations(
                BadRequest.FieldViolation.newBuilder().setField(field).setDescription(description))
            .build();
    return build(
        Code.INVALID_ARGUMENT,
        field + ": " + description,
        "INVALID_ARGUMENT",
        Map.of("field", field),
        bad);
  }

  /** NOT_FOUND for an id that names nothing, with a ResourceInfo detail. */
  public static StatusRuntimeException notFound(String resourceType, String name) {
    ResourceInfo info =
        ResourceInfo.newBuilder().setResourceType(resourceType).setResourceName(name).build();
    return build(
        Code.NOT_FOUND, resourceType + " " + name + " not found", "NOT_FOUND", Map.of(), info);
  }

  /** RESOURCE_EXHAUSTED with the time after which a retry may succeed. */
  public static StatusRuntimeException resourceExhausted(
      String reason, String message, Duration retryAfter) {
    return resourceExhausted(reason, message, retryAfter, Map.of());
  }

  /**
   * As {@link #resourceExhausted(String, String, Duration)}, with ErrorInfo metadata (e.g. where to
   * resume).
   */
  public static StatusRuntimeException resourceExhausted(
      String reason, String message, Duration retryAfter, Map<String, String> metadata) {
    return build(Code.RESOURCE_EXHAUSTED, message, reason, metadata, retryInfo(retryAfter));
  }

  /** UNAVAILABLE with a reason and the time after which a retry (the same call) may succeed. */
  public static StatusRuntimeException unavailable(
      String reason, String message, Duration retryAfter) {
    return build(Code.UNAVAILABLE, message, reason, Map.of(), retryInfo(retryAfter));
  }

  private static RetryInfo retryInfo(Duration retryAfter) {
    return RetryInfo.newBuilder()
        .setRetryDelay(
            com.google.protobuf.Duration.newBuilder()
                .setSeconds(retryAfter.getSeconds())
                .setNanos(retryAfter.getNano()))
        .build();
  }

  /** Any code with an ErrorInfo reason such as {@code PDF_ENCRYPTED}. */
  public static StatusRuntimeException withReason(Status.Code code, String reason, String message) {
    return withReason(code, reason, message, Map.of());
  }

  public static StatusRuntimeException withReason(
      Status.Code code, String reason, String message, Map<String, String> metadata) {
    return build(Code.forNumber(code.value()), message, reason, metadata);
  }

  /** The ErrorInfo reason of a failure, when it carries one. */
  public static Optional<String> reason(Throwable t) {
    return errorInfo(t).map(ErrorInfo::getReason);
  }

  public static Optional<ErrorInfo> errorInfo(Throwable t) {
    return detail(t, ErrorInfo.class);
  }

  public static <T extends Message> Optional<T> detail(Throwable t, Class<T> type) {
    com.google.rpc.Status status = StatusProto.fromThrowable(t);
    if (status == null) {
      return Optional.empty();
    }
    for (Any any : status.getDetailsList()) {
      if (any.is(type)) {
        try {
          return Optional.of(any.unpack(type));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  private static StatusRuntimeException build(
      Code code, String message, String reason, Map<String, String> metadata, Message... details) {
    com.google.rpc.Status.Builder status =
        com.google.rpc.Status.newBuilder().setCode(code.getNumber()).setMessage(message);
    status.addDetails(
        Any.pack(
            ErrorInfo.newBuilder()
                .setReason(reason)
                .setDomain(DOMAIN)
                .putAllMetadata(metadata)
                .build()));
    for (Message d : details) {
      status.addDetails(Any.pack(d));
    }
    return StatusProto.toStatusRuntimeException(status.build());
  }
}
