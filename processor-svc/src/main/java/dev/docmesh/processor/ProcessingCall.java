package dev.docmesh.processor;

import dev.docmesh.processor.pdf.PdfOpener;
import dev.docmesh.processor.spi.ProcessingContext;
import dev.docmesh.processor.spi.ProcessingFailure;
import dev.docmesh.processor.spi.ProcessingStoppedException;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import dev.docmesh.proto.processor.v1.UpstreamOutput;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.pdfbox.pdmodel.PDDocument;

/**
 * One Process call as its processor sees it, the call's own or a step's: input, progress out, and
 * when to stop.
 */
final class ProcessingCall implements ProcessingContext {
  private final ProcessRequest request;
  private final byte[] content;
  private final String mediaType;
  private final long deadlineNanos;
  private final PdfOpener opener;
  private final long maxStreamBytes;
  private final Consumer<Progress> progressSink;
  private final ProcessingPool pool; // null: no thread to lend (a call run outside the service)
  // shared with the call's steps: a client that goes away cancels them all
  private final AtomicBoolean cancelled;
  // shared with the call's steps and lent threads: the document's bytes are scanned for hostile
  // nesting once, not at every open of the same bytes
  private final AtomicBoolean nestingScanned;
  private volatile boolean timedOut;

  ProcessingCall(
      ProcessRequest request,
      byte[] content,
      String mediaType,
      long deadlineNanos,
      PdfOpener opener,
      long maxStreamBytes,
      Consumer<Progress> progressSink) {
    this(request, content, mediaType, deadlineNanos, opener, maxStreamBytes, progressSink, null);
  }

  ProcessingCall(
      ProcessRequest request,
      byte[] content,
      String mediaType,
      long deadlineNanos,
      PdfOpener opener,
      long maxStreamBytes,
      Consumer<Progress> progressSink,
      ProcessingPool pool) {
    this(
        request,
        content,
        mediaType,
        deadlineNanos,
        opener,
        maxStreamBytes,
        progressSink,
        pool,
        new AtomicBoolean(),
        new AtomicBoolean());
  }

  private ProcessingCall(
      ProcessRequest request,
      byte[] content,
      String mediaType,
      long deadlineNanos,
      PdfOpener opener,
      long maxStreamBytes,
      Consumer<Progress> progressSink,
      ProcessingPool pool,
      AtomicBoolean cancelled,
      AtomicBoolean nestingScanned) {
    this.pool = pool;
    this.cancelled = cancelled;
    this.nestingScanned = nestingScanned;
    this.request = request;
    this.content = content;
    this.mediaType = mediaType;
    this.deadlineNanos = deadlineNanos;
    this.opener = opener;
    this.maxStreamBytes = maxStreamBytes;
    this.progressSink = progressSink;
  }

  /**
   * A step of this call as its processor sees it: {@code stepRequest} (the step as a call of its
   * own), its deadline and its progress; the document, pool and cancellation of this call.
   */
  ProcessingCall forStep(
      ProcessRequest stepRequest, long stepDeadlineNanos, Consumer<Progress> stepProgress) {
    return new ProcessingCall(
        stepRequest,
        content,
        mediaType,
        stepDeadlineNanos,
        opener,
        maxStreamBytes,
        stepProgress,
        pool,
        cancelled,
        nestingScanned);
  }

  @Override
  public ProcessRequest request() {
    return request;
  }

  @Override
  public byte[] content() {
    return content;
  }

  @Override
  public String mediaType() {
    return mediaType;
  }

  @Override
  public boolean booleanOption(String key, boolean defaultValue) {
    String value = request.getOptionsOrDefault(key, "");
    return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "" -> defaultValue;
      case "true" -> true;
      case "false" -> false;
      default ->
          throw ProcessingFailure.invalidArgument(
              "options." + key, "must be true or false, not '" + value + "'");
    };
  }

  @Override
  public Optional<StageOutput> upstream(String processor) {
    return request.getUpstreamList().stream()
        .filter(u -> u.getProcessor().equals(processor))
        .map(UpstreamOutput::getOutput)
        .findFirst();
  }

  @Override
  public void progress(long done, long total, String unit, String message) {
    checkpoint();
    progressSink.accept(
        Progress.newBuilder()
            .setDone(done)
            .setTotal(total)
            .setUnit(unit)
            .setMessage(message)
            .build());
  }

  @Override
  public void checkpoint() {
    if (cancelled.get()) {
      throw new ProcessingStoppedException(false);
    }
    if (timedOut || System.nanoTime() - deadlineNanos >= 0) {
      timedOut = true;
      throw new ProcessingStoppedException(true);
    }
  }

  @Override
  public PDDocument openPdf() throws IOException {
    checkpoint();
    PDDocument document = opener.open(content, request.getPassword(), nestingScanned.get());
    nestingScanned.set(true);
    return document;
  }

  @Override
  public long maxDecodedStreamBytes() {
    return maxStreamBytes;
  }

  @Override
  public boolean lendIdleThread(Runnable part) {
    return pool != null && pool.lendIdle(part);
  }

  @Override
  public boolean othersWaiting() {
    return pool != null && pool.othersWaiting();
  }

  /** The client went away: stop at the next checkpoint, this and every step of the call. */
  void cancel() {
    cancelled.set(true);
  }

  /** The time limit passed: stop at the next checkpoint. */
  void expire() {
    timedOut = true;
  }
}
