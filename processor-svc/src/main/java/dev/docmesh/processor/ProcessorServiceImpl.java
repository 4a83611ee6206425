package dev.docmesh.processor;

import dev.docmesh.meshkit.grpc.Unary;
import dev.docmesh.meshkit.media.MediaTypes;
import dev.docmesh.processor.pdf.PdfExceptions;
import dev.docmesh.processor.pdf.PdfOpener;
import dev.docmesh.processor.spi.DocumentProcessor;
import dev.docmesh.processor.spi.ProcessingFailure;
import dev.docmesh.processor.spi.ProcessingStoppedException;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ListProcessorsRequest;
import dev.docmesh.proto.processor.v1.ListProcessorsResponse;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ProcessorService: checks a request, hands the work to the processing pool (never a network
 * thread), streams its progress and ends the call with exactly one result or one typed error. A
 * cancelled call, the call's deadline or the configured time limit stops the work at its next
 * checkpoint.
 */
final class ProcessorServiceImpl extends ProcessorServiceGrpc.ProcessorServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(ProcessorServiceImpl.class);

  private final ProcessorRegistry registry;
  private final ProcessorConfig config;
  private final ProcessingPool pool;
  private final PdfOpener opener;
  private final ProcessorMetrics metrics;
  private final Tracer tracer;

  ProcessorServiceImpl(
      ProcessorRegistry registry,
      ProcessorConfig config,
      ProcessingPool pool,
      PdfOpener opener,
      ProcessorMetrics metrics,
      Tracer tracer) {
    this.registry = registry;
    this.config = config;
    this.pool = pool;
    this.opener = opener;
    this.metrics = metrics;
    this.tracer = tracer;
  }

  @Override
  public void listProcessors(
      ListProcessorsRequest request, StreamObserver<ListProcessorsResponse> response) {
    Unary.reply(
        response,
        () -> ListProcessorsResponse.newBuilder().addAllProcessors(registry.list()).build());
  }

  @Override
  public void process(ProcessRequest request, StreamObserver<ProcessResponse> response) {
    ServerCallStreamObserver<ProcessResponse> observer =
        (ServerCallStreamObserver<ProcessResponse>) response;
    DocumentProcessor processor;
    String mediaType;
    byte[] content;
    try {
      processor =
          registry
              .find(request.getProcessor())
              .orElseThrow(() -> Failures.unknownProcessor(request.getProcessor()));
      checkOptions(processor, request);
      if (request.getContent().isEmpty()) {
        throw Failures.empty();
      }
      if (request.getContent().size() > config.maxDocumentBytes()) {
        throw Failures.limit(
            Failures.LIMIT_BYTES,
            "the document has "
                + request.getContent().size()
                + " bytes; this processor allows "
                + config.maxDocumentBytes(),
            request.getContent().size(),
            config.maxDocumentBytes());
      }
      content = request.getContent().toByteArray();
      mediaType = MediaTypes.resolve(request.getMediaType(), request.getFilename(), content);
      checkMediaType(registry.info(request.getProcessor()).orElseThrow(), mediaType);
    } catch (ProcessingFailure e) {
      if (registry.find(request.getProcessor()).isPresent()) {
        // unknown names stay out of the labels: clients must not be able to mint label values
        metrics.rejected(request.getProcessor(), e.reason());
      }
      observer.onError(FailureStatus.of(e));
      return;
    }
    new Run(processor, request, content, mediaType, observer).start();
  }

  private static void checkOptions(DocumentProcessor processor, ProcessRequest request) {
    for (String key : request.getOptionsMap().keySet()) {
      if (!processor.options().contains(key)) {
        throw ProcessingFailure.invalidArgument(
            "options." + key,
            "unknown option for "
                + request.getProcessor()
                + "; known: "
                + processor.options().stream().sorted().toList());
      }
    }
  }

  private static void checkMediaType(ProcessorInfo info, String mediaType) {
    List<String> accepted = info.getMediaTypesList();
    if (accepted.contains(mediaType) || accepted.contains("*/*")) {
      return;
    }
    if (accepted.equals(List.of(MediaTypes.PDF))) {
      throw Failures.notAPdf(info.getName() + " reads PDF documents; this one is " + mediaType);
    }
    throw Failures.unsupportedMediaType(info.getName(), mediaType);
  }

  /** One accepted call, from hand-off to its single terminal event. */
  private final class Run {
    private final DocumentProcessor processor;
    private final String name;
    private final CallSink sink;
    private final ProcessingCall call;
    private final Duration timeLimit;
    private final long startNanos = System.nanoTime();
    private final Span span;
    private final java.util.concurrent.atomic.AtomicLong pages =
        new java.util.concurrent.atomic.AtomicLong();
    private volatile ScheduledFuture<?> timer;
    private final long progressIntervalNanos;
    private long lastProgressNanos; // guarded by progress(): a lent thread reports pages too

    Run(
        DocumentProcessor processor,
        ProcessRequest request,
        byte[] content,
        String mediaType,
        ServerCallStreamObserver<ProcessResponse> observer) {
      this.processor = processor;
      this.name = request.getProcessor();
      // A child of the Process RPC's server span, which the tracing interceptor made current.
      this.span =
          tracer
              .spanBuilder("processor run " + name)
              .setAttribute("docmesh.processor", name)
              .setAttribute("docmesh.media_type", mediaType)
              .setAttribute("docmesh.document.bytes", (long) content.length)
              .startSpan();
      this.sink =
          new CallSink(
              observer,
              outcome -> {
                metrics.finished(name, outcome, startNanos);
                endSpan(outcome);
              });
      Deadline deadline = Context.current().getDeadline();
      long own = config.callTimeout().toNanos();
      long callDeadline =
          deadline == null
              ? Long.MAX_VALUE
              : Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS));
      this.timeLimit = config.callTimeout();
      this.progressIntervalNanos =
          request.hasProgressInterval()
              ? Math.max(
                  0,
                  TimeUnit.SECONDS.toNanos(
                          Math.min(request.getProgressInterval().getSeconds(), 86_400))
                      + request.getProgressInterval().getNanos())
              : 0;
      this.lastProgressNanos = startNanos;
      this.call =
          new ProcessingCall(
              request,
              content,
              mediaType,
              startNanos + Math.min(own, callDeadline),
              opener,
              config.maxStreamBytes(),
              this::progress,
              pool);
      observer.setOnCancelHandler(this::cancelled);
      if (own < callDeadline) {
        // Our limit comes first: end the call with LIMIT_TIME even if the work is stuck
        // inside one PDFBox operation; the work itself stops at its next checkpoint.
        timer = pool.schedule(this::timeUp, own);
      }
    }

    void start() {
      metrics.started();
      try {
        pool.execute(this::work);
      } catch (RejectedExecutionException e) {
        cancelTimer();
        sink.fail(FailureStatus.of(Failures.busy(config.threads(), config.queue())));
      }
    }

    private synchronized void progress(dev.docmesh.proto.document.v1.Progress progress) {
      if ("page".equals(progress.getUnit())) {
        metrics.page(name);
        pages.incrementAndGet();
      }
      boolean last = progress.getTotal() > 0 && progress.getDone() >= progress.getTotal();
      if (progressIntervalNanos > 0 && !last) { // the last one always goes: "4 of 4", not "3 of 4"
        long now = System.nanoTime();
        if (now - lastProgressNanos < progressIntervalNanos) {
          return; // the client asked for fewer: the next one sent (or the result) supersedes it
        }
        lastProgressNanos = now;
      }
      sink.progress(progress);
    }

    private void work() {
      try {
        call.checkpoint(); // cancelled or expired while queued
        StageOutput result = processor.process(call);
        sink.complete(result);
      } catch (Throwable t) {
        fail(t);
      } finally {
        cancelTimer();
      }
    }

    /** Ends the call with the typed form of {@code t}, unless it has ended already. */
    private void fail(Throwable t) {
      if (t instanceof ProcessingStoppedException stopped && !stopped.timedOut()) {
        sink.abandon();
      } else {
        sink.fail(t instanceof StatusRuntimeException e ? e : FailureStatus.of(typed(t)));
      }
    }

    /**
     * The failure a processor's exception stands for (a StatusRuntimeException from an older plugin
     * passes as it is).
     */
    private ProcessingFailure typed(Throwable t) {
      if (t instanceof ProcessingFailure f) {
        return f;
      }
      if (t instanceof ProcessingStoppedException) {
        return Failures.timeLimit(
            Duration.ofNanos(Math.min(timeLimit.toNanos(), System.nanoTime() - startNanos)));
      }
      if (t instanceof StackOverflowError) {
        return Failures.limit(
            Failures.LIMIT_NESTING, "the document nests objects too deeply to process", -1, -1);
      }
      if (t instanceof OutOfMemoryError) {
        log.error("{} ran out of memory; lower DOCMESH_PDF_MAIN_MEMORY or the thread count", name);
        return Failures.limit(
            Failures.LIMIT_MEMORY,
            "the document needs more memory than this processor has",
            -1,
            -1);
      }
      if (t instanceof IOException e) {
        return PdfExceptions.translate(e);
      }
      if (t instanceof RuntimeException && PdfExceptions.thrownByPdfBox(t)) {
        log.debug("{}: PDFBox rejected the document", name, t);
        return Failures.corrupt("the PDF cannot be read: " + t);
      }
      log.error("{} failed", name, t);
      return Failures.failed(name, t);
    }

    private void endSpan(String outcome) {
      span.setAttribute("docmesh.outcome", outcome);
      span.setAttribute("docmesh.pages", pages.get());
      if (outcome.startsWith("LIMIT_")) {
        span.setAttribute("docmesh.limit", outcome);
      }
      if (!CallSink.OK.equals(outcome) && !CallSink.CANCELLED.equals(outcome)) {
        span.setStatus(StatusCode.ERROR, outcome);
      }
      span.end();
    }

    private void cancelled() {
      call.cancel();
      if (sink.abandon()) {
        cancelTimer();
      }
    }

    private void timeUp() {
      call.expire();
      sink.fail(FailureStatus.of(Failures.timeLimit(timeLimit)));
    }

    private void cancelTimer() {
      ScheduledFuture<?> t = timer;
      if (t != null) {
        t.cancel(false);
      }
    }
  }
}
