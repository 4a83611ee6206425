package dev.docmesh.processor;

import dev.docmesh.meshkit.grpc.Unary;
import dev.docmesh.meshkit.media.MediaTypes;
import dev.docmesh.processor.pdf.PdfExceptions;
import dev.docmesh.processor.pdf.PdfOpener;
import dev.docmesh.processor.spi.DocumentProcessor;
import dev.docmesh.processor.spi.ProcessingFailure;
import dev.docmesh.processor.spi.ProcessingStoppedException;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ListProcessorsRequest;
import dev.docmesh.proto.processor.v1.ListProcessorsResponse;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import dev.docmesh.proto.processor.v1.ProcessStep;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ProcessorService: checks a request, hands the work to the processing pool (never a network
 * thread), streams its progress and its result, then each step's (checked when reached), and ends
 * the call after the last result or with one typed error. A cancelled call, the call's deadline,
 * the configured time limit or a step's own stops the work at its next checkpoint.
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
      processor = find(request.getProcessor());
      checkOptions(request.getProcessor(), processor, request.getOptionsMap());
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
      rejected(request.getProcessor(), e);
      observer.onError(FailureStatus.of(e));
      return;
    }
    new Run(processor, request, content, mediaType, observer).start();
  }

  private DocumentProcessor find(String name) {
    return registry.find(name).orElseThrow(() -> Failures.unknownProcessor(name));
  }

  /** The processor a step names, checked as the request's own: its options, the media type. */
  private DocumentProcessor checked(ProcessStep step, String mediaType) {
    DocumentProcessor processor = find(step.getProcessor());
    checkOptions(step.getProcessor(), processor, step.getOptionsMap());
    checkMediaType(registry.info(step.getProcessor()).orElseThrow(), mediaType);
    return processor;
  }

  private void rejected(String processor, ProcessingFailure failure) {
    if (registry.find(processor).isPresent()) {
      // unknown names stay out of the labels: clients must not be able to mint label values
      metrics.rejected(processor, failure.reason());
    }
  }

  private static void checkOptions(
      String name, DocumentProcessor processor, Map<String, String> options) {
    for (String key : options.keySet()) {
      if (!processor.options().contains(key)) {
        throw ProcessingFailure.invalidArgument(
            "options." + key,
            "unknown option for "
                + name
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

  /** A client's duration in nanoseconds: none below zero, at most a day (no overflow). */
  private static long nanos(com.google.protobuf.Duration duration) {
    return Math.max(
        0, TimeUnit.SECONDS.toNanos(Math.min(duration.getSeconds(), 86_400)) + duration.getNanos());
  }

  /** A step's own time limit; unset or zero: none. */
  private static Duration timeout(ProcessStep step) {
    long nanos = nanos(step.getTimeout());
    return nanos > 0 ? Duration.ofNanos(nanos) : null;
  }

  /**
   * One accepted call, from hand-off to its single terminal event: its processor, then each step of
   * its {@code then} on the same processing thread.
   */
  private final class Run {
    private final ProcessRequest request;
    private final byte[] content;
    private final String mediaType;
    private final CallSink sink;
    private final TimeLimits limits;
    private final StageOutputs outputs;
    // The Process RPC's server span, which the tracing interceptor made current here (not on the
    // processing thread, where steps start): the parent of every stage's span.
    private final io.opentelemetry.context.Context traceParent =
        io.opentelemetry.context.Context.current();
    private final long progressIntervalNanos;
    private long lastProgressNanos; // guarded by progress(): a lent thread reports pages too
    private volatile Stage running;

    Run(
        DocumentProcessor processor,
        ProcessRequest request,
        byte[] content,
        String mediaType,
        ServerCallStreamObserver<ProcessResponse> observer) {
      long startNanos = System.nanoTime();
      this.request = request;
      this.content = content;
      this.mediaType = mediaType;
      this.sink = new CallSink(observer, metrics::ended);
      this.limits =
          new TimeLimits(startNanos, config.callTimeout(), Context.current().getDeadline());
      this.outputs = new StageOutputs(request);
      this.progressIntervalNanos = nanos(request.getProgressInterval());
      this.lastProgressNanos = startNanos;
      this.running =
          new Stage("", request, processor, startNanos, limits.forRun(startNanos, null), null);
      observer.setOnCancelHandler(this::cancelled);
      enter(running);
    }

    void start() {
      metrics.started();
      try {
        pool.execute(this::work);
      } catch (RejectedExecutionException e) {
        running.cancelTimer();
        sink.fail(FailureStatus.of(Failures.busy(config.threads(), config.queue())));
      }
    }

    private void work() {
      Stage stage = running;
      try {
        for (int next = 0; ; next++) {
          StageOutput result = stage.run();
          boolean last = next == request.getThenCount();
          if (!sink.result(stage.tag, result, last) || last) {
            return;
          }
          outputs.add(stage.call.request().getStage(), stage.processorName, result);
          stage = reach(next);
          if (stage == null) {
            return;
          }
        }
      } catch (Throwable t) {
        stage.fail(t);
      }
    }

    /** Step {@code index}, checked now that it is reached, and entered; null: the call ended. */
    private Stage reach(int index) {
      ProcessStep step = request.getThen(index);
      long startNanos = System.nanoTime();
      DocumentProcessor processor;
      ProcessRequest stepRequest;
      try {
        processor = checked(step, mediaType);
        stepRequest = outputs.stepRequest(index);
      } catch (ProcessingFailure e) {
        rejected(step.getProcessor(), e);
        sink.fail(FailureStatus.of(e));
        return null;
      }
      Stage stage =
          new Stage(
              step.getStage(),
              stepRequest,
              processor,
              startNanos,
              limits.forRun(startNanos, timeout(step)),
              running.call);
      return enter(stage) ? stage : null;
    }

    /** Makes {@code stage} the one whose events go out and whose time runs; false: call ended. */
    private boolean enter(Stage stage) {
      running = stage;
      if (!sink.open(stage.tag, stage::ended)) {
        stage.ended(CallSink.CANCELLED); // the client went away between two stages
        return false;
      }
      stage.startTimer();
      return true;
    }

    private synchronized void progress(String stage, Progress progress) {
      boolean last = progress.getTotal() > 0 && progress.getDone() >= progress.getTotal();
      if (progressIntervalNanos > 0 && !last) { // the last one always goes: "4 of 4", not "3 of 4"
        long now = System.nanoTime();
        if (now - lastProgressNanos < progressIntervalNanos) {
          return; // the client asked for fewer: the next one sent (or the result) supersedes it
        }
        lastProgressNanos = now;
      }
      sink.progress(stage, progress);
    }

    private void cancelled() {
      Stage stage = running;
      stage.call.cancel(); // and every later step: they share it
      if (sink.abandon()) {
        stage.cancelTimer();
      }
    }

    /** One processor run of the call: the call's own processor, or a step. */
    private final class Stage {
      private final String tag; // ProcessResponse.stage of its events: empty for the call's own
      private final String processorName;
      private final DocumentProcessor processor;
      private final ProcessingCall call;
      private final TimeLimits.Limit limit;
      private final long startNanos;
      private final Span span;
      private final AtomicLong pages = new AtomicLong();
      private volatile ScheduledFuture<?> timer;

      /** {@code callSoFar}: the context of the stage before it; null for the call's own. */
      Stage(
          String tag,
          ProcessRequest request,
          DocumentProcessor processor,
          long startNanos,
          TimeLimits.Limit limit,
          ProcessingCall callSoFar) {
        this.tag = tag;
        this.processorName = request.getProcessor();
        this.processor = processor;
        this.startNanos = startNanos;
        this.limit = limit;
        this.call =
            callSoFar == null
                ? new ProcessingCall(
                    request,
                    content,
                    mediaType,
                    limit.deadlineNanos(),
                    opener,
                    config.maxStreamBytes(),
                    this::progress,
                    pool)
                : callSoFar.forStep(request, limit.deadlineNanos(), this::progress);
        SpanBuilder span =
            tracer
                .spanBuilder("processor run " + processorName)
                .setParent(traceParent)
                .setAttribute("docmesh.processor", processorName)
                .setAttribute("docmesh.media_type", mediaType)
                .setAttribute("docmesh.document.bytes", (long) content.length);
        if (!request.getStage().isEmpty()) {
          span.setAttribute("docmesh.stage", request.getStage());
        }
        this.span = span.startSpan();
      }

      StageOutput run() throws Exception {
        try {
          call.checkpoint(); // cancelled, or out of time while queued
          return processor.process(call);
        } finally {
          cancelTimer();
        }
      }

      private void progress(Progress progress) {
        if ("page".equals(progress.getUnit())) {
          metrics.page(processorName);
          pages.incrementAndGet();
        }
        Run.this.progress(tag, progress);
      }

      void startTimer() {
        if (limit.ours()) {
          // Our limit comes first: end the call with LIMIT_TIME even if the work is stuck
          // inside one PDFBox operation; the work itself stops at its next checkpoint.
          timer =
              pool.schedule(this::timeUp, Math.max(0, limit.deadlineNanos() - System.nanoTime()));
        }
      }

      private void timeUp() {
        call.expire();
        sink.fail(tag, FailureStatus.of(Failures.timeLimit(limit.allowed())));
      }

      void cancelTimer() {
        ScheduledFuture<?> t = timer;
        if (t != null) {
          t.cancel(false);
        }
      }

      /** Ends the call with the typed form of {@code t}, unless it has ended already. */
      void fail(Throwable t) {
        if (t instanceof ProcessingStoppedException stopped && !stopped.timedOut()) {
          sink.abandon();
        } else {
          sink.fail(t instanceof StatusRuntimeException e ? e : FailureStatus.of(typed(t)));
        }
      }

      /**
       * The failure a processor's exception stands for (a StatusRuntimeException from an older
       * plugin passes as it is).
       */
      private ProcessingFailure typed(Throwable t) {
        if (t instanceof ProcessingFailure f) {
          return f;
        }
        if (t instanceof ProcessingStoppedException) {
          return Failures.timeLimit(limit.allowed());
        }
        if (t instanceof StackOverflowError) {
          return Failures.limit(
              Failures.LIMIT_NESTING, "the document nests objects too deeply to process", -1, -1);
        }
        if (t instanceof OutOfMemoryError) {
          log.error(
              "{} ran out of memory; lower DOCMESH_PDF_MAIN_MEMORY or the thread count",
              processorName);
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
          log.debug("{}: PDFBox rejected the document", processorName, t);
          return Failures.corrupt("the PDF cannot be read: " + t);
        }
        log.error("{} failed", processorName, t);
        return Failures.failed(processorName, t);
      }

      /** Its outcome, learnt once from the call's sink. */
      void ended(String outcome) {
        metrics.finished(processorName, outcome, startNanos);
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
    }
  }
}
