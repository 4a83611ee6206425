package dev.docmesh.processor;

import dev.docmesh.meshkit.grpc.Errors;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Map;

/** The typed failures of ProcessorService, with the ErrorInfo reasons its contract names. */
public final class Failures {
  public static final String PDF_CORRUPT = "PDF_CORRUPT";
  public static final String NOT_A_PDF = "NOT_A_PDF";
  public static final String EMPTY_DOCUMENT = "EMPTY_DOCUMENT";
  public static final String UNKNOWN_PROCESSOR = "UNKNOWN_PROCESSOR";
  public static final String UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE";
  public static final String PDF_ENCRYPTED = "PDF_ENCRYPTED";
  public static final String PASSWORD_INVALID = "PASSWORD_INVALID";
  public static final String MISSING_UPSTREAM = "MISSING_UPSTREAM";
  public static final String LIMIT_BYTES = "LIMIT_BYTES";
  public static final String LIMIT_PAGES = "LIMIT_PAGES";
  public static final String LIMIT_MEMORY = "LIMIT_MEMORY";
  public static final String LIMIT_NESTING = "LIMIT_NESTING";
  public static final String LIMIT_TIME = "LIMIT_TIME";
  public static final String PROCESSOR_BUSY = "PROCESSOR_BUSY";
  public static final String PROCESSOR_FAILED = "PROCESSOR_FAILED";

  private Failures() {}

  public static StatusRuntimeException corrupt(String message) {
    return Errors.withReason(Code.INVALID_ARGUMENT, PDF_CORRUPT, message);
  }

  public static StatusRuntimeException notAPdf(String message) {
    return Errors.withReason(Code.INVALID_ARGUMENT, NOT_A_PDF, message);
  }

  public static StatusRuntimeException empty() {
    return Errors.withReason(Code.INVALID_ARGUMENT, EMPTY_DOCUMENT, "the document is empty");
  }

  public static StatusRuntimeException unknownProcessor(String name) {
    return Errors.withReason(
        Code.INVALID_ARGUMENT, UNKNOWN_PROCESSOR, "no processor named '" + name + "'", Map.of("processor", name));
  }

  public static StatusRuntimeException unsupportedMediaType(String processor, String mediaType) {
    return Errors.withReason(
        Code.INVALID_ARGUMENT,
        UNSUPPORTED_MEDIA_TYPE,
        processor + " does not accept " + mediaType,
        Map.of("processor", processor, "media_type", mediaType));
  }

  public static StatusRuntimeException encrypted() {
    return Errors.withReason(
        Code.FAILED_PRECONDITION, PDF_ENCRYPTED, "the PDF is encrypted: a password is needed to open it");
  }

  public static StatusRuntimeException passwordInvalid() {
    return Errors.withReason(Code.FAILED_PRECONDITION, PASSWORD_INVALID, "the supplied password does not open the PDF");
  }

  public static StatusRuntimeException missingUpstream(String processor, String needed) {
    return Errors.withReason(
        Code.FAILED_PRECONDITION,
        MISSING_UPSTREAM,
        processor + " needs the output of " + needed + " in ProcessRequest.upstream",
        Map.of("needs", needed));
  }

  /** A configured limit the document exceeds; {@code actual} may be -1 when unknown. */
  public static StatusRuntimeException limit(String reason, String message, long actual, long maximum) {
    return Errors.withReason(
        Code.RESOURCE_EXHAUSTED,
        reason,
        message,
        Map.of("actual", Long.toString(actual), "maximum", Long.toString(maximum)));
  }

  public static StatusRuntimeException timeLimit(Duration allowed) {
    return Errors.withReason(
        Code.DEADLINE_EXCEEDED, LIMIT_TIME, "processing took longer than " + allowed.toMillis() + " ms");
  }

  public static StatusRuntimeException busy(int threads, int queue) {
    return Errors.resourceExhausted(
        PROCESSOR_BUSY,
        "all " + threads + " processing threads and " + queue + " queue places are taken",
        Duration.ofSeconds(1));
  }

  public static StatusRuntimeException failed(String processor, Throwable cause) {
    return Errors.withReason(
        Code.INTERNAL, PROCESSOR_FAILED, processor + " failed: " + cause.getClass().getSimpleName());
  }
}
