package dev.docmesh.processor.spi;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A typed failure of one processing call: what kind of failure it is, the reason clients see (e.g.
 * {@code PDF_CORRUPT}), a message and metadata. Processors, built in or plugins, throw it; the
 * service's gRPC edge turns it into a status with {@code google.rpc} details, so nothing below that
 * edge knows about gRPC.
 */
public final class ProcessingFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, as far as the caller can act on it. */
  public enum Kind {
    /** The request or the document is unusable as sent; sending it again will not help. */
    INVALID_INPUT,
    /** The document cannot be processed as asked (encrypted, an upstream output is missing). */
    PRECONDITION,
    /** The document exceeds a configured limit (pages, bytes, memory, nesting). */
    LIMIT,
    /** Processing ran out of time. */
    TIME_LIMIT,
    /** The processor is saturated; the same call may succeed after {@link #retryAfter()}. */
    BUSY,
    /** The processor itself failed. */
    INTERNAL
  }

  private final Kind kind;
  private final String reason;
  private final Map<String, String> metadata;
  private final String field;
  private final Duration retryAfter;

  private ProcessingFailure(
      Kind kind,
      String reason,
      String message,
      Map<String, String> metadata,
      String field,
      Duration retryAfter) {
    super(message, null, false, false);
    this.kind = kind;
    this.reason = reason;
    this.metadata = Map.copyOf(metadata);
    this.field = field;
    this.retryAfter = retryAfter;
  }

  /** A failure of {@code kind} with {@code reason} (upper snake case, e.g. {@code PDF_CORRUPT}). */
  public static ProcessingFailure of(
      Kind kind, String reason, String message, Map<String, String> metadata) {
    return new ProcessingFailure(kind, reason, message, metadata, null, null);
  }

  public static ProcessingFailure of(Kind kind, String reason, String message) {
    return of(kind, reason, message, Map.of());
  }

  /** A request field (e.g. {@code options.min_length}) with a value the processor cannot use. */
  public static ProcessingFailure invalidArgument(String field, String description) {
    return new ProcessingFailure(
        Kind.INVALID_INPUT,
        "INVALID_ARGUMENT",
        field + ": " + description,
        Map.of("field", field),
        field,
        null);
  }

  /** The processor is saturated: the caller may try again after {@code retryAfter}. */
  public static ProcessingFailure busy(String reason, String message, Duration retryAfter) {
    return new ProcessingFailure(Kind.BUSY, reason, message, Map.of(), null, retryAfter);
  }

  public Kind kind() {
    return kind;
  }

  public String reason() {
    return reason;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  /** The request field at fault, for {@link #invalidArgument}. */
  public Optional<String> field() {
    return Optional.ofNullable(field);
  }

  /** When the same call may succeed, for {@link Kind#BUSY}. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  /** What is wrong with {@link #field()}: the message without its field prefix. */
  public String description() {
    return field == null ? getMessage() : getMessage().substring(field.length() + 2);
  }
}
