package dev.docmesh.processor;

import dev.docmesh.processor.spi.ProcessingFailure;
import dev.docmesh.processor.spi.ProcessingFailure.Kind;
import java.time.Duration;
import java.util.Map;

/**
 * The typed failures of ProcessorService, with the ErrorInfo reasons its contract names. Domain
 * values: {@link FailureStatus} gives each its gRPC status at the edge.
 */
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

  public static ProcessingFailure corrupt(String message) {
    return ProcessingFailure.of(Kind.INVALID_INPUT, PDF_CORRUPT, message);
  }

  public static ProcessingFailure notAPdf(String message) {
    return ProcessingFailure.of(Kind.INVALID_INPUT, NOT_A_PDF, message);
  }

  public static ProcessingFailure empty() {
    return ProcessingFailure.of(Kind.INVALID_INPUT, EMPTY_DOCUMENT, "the document is empty");
  }

  public static ProcessingFailure unknownProcessor(String name) {
    return ProcessingFailure.of(
        Kind.INVALID_INPUT,
        UNKNOWN_PROCESSOR,
        "no processor named '" + name + "'",
        Map.of("processor", name));
  }

  public static ProcessingFailure unsupportedMediaType(String processor, String mediaType) {
    return ProcessingFailure.of(
        Kind.INVALID_INPUT,
        UNSUPPORTED_MEDIA_TYPE,
        processor + " does not accept " + mediaType,
        Map.of("processor", processor, "media_type", mediaType));
  }

  public static ProcessingFailure encrypted() {
    return ProcessingFailure.of(
        Kind.PRECONDITION, PDF_ENCRYPTED, "the PDF is encrypted: a password is needed to open it");
  }

  public static ProcessingFailure passwordInvalid() {
    return ProcessingFailure.of(
        Kind.PRECONDITION, PASSWORD_INVALID, "the supplied password does not open the PDF");
  }

  public static ProcessingFailure missingUpstream(String processor, String needed) {
    return ProcessingFailure.of(
        Kind.PRECONDITION,
        MISSING_UPSTREAM,
        processor + " needs the output of " + needed + " in ProcessRequest.upstream",
        Map.of("needs", needed));
  }

  /** A configured limit the document exceeds; {@code actual} may be -1 when unknown. */
  public static ProcessingFailure limit(String reason, String message, long actual, long maximum) {
    return ProcessingFailure.of(
        Kind.LIMIT,
        reason,
        message,
        Map.of("actual", Long.toString(actual), "maximum", Long.toString(maximum)));
  }

  public static ProcessingFailure timeLimit(Duration allowed) {
    return ProcessingFailure.of(
        Kind.TIME_LIMIT, LIMIT_TIME, "processing took longer than " + allowed.toMillis() + " ms");
  }

  public static ProcessingFailure busy(int threads, int queue) {
    return ProcessingFailure.busy(
        PROCESSOR_BUSY,
        "all " + threads + " processing threads and " + queue + " queue places are taken",
        Duration.ofSeconds(1));
  }

  public static ProcessingFailure failed(String processor, Throwable cause) {
    return ProcessingFailure.of(
        Kind.INTERNAL,
        PROCESSOR_FAILED,
        processor + " failed: " + cause.getClass().getSimpleName());
  }
}
