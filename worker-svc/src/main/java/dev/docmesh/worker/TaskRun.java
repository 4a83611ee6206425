package dev.docmesh.worker;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.Timestamps;
import com.google.rpc.RetryInfo;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskRequest;
import dev.docmesh.proto.orchestrator.v1.FailTaskRequest;
import dev.docmesh.proto.orchestrator.v1.GetDocumentRequest;
import dev.docmesh.proto.orchestrator.v1.GetDocumentResponse;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import dev.docmesh.proto.worker.v1.ActiveTask;
import dev.docmesh.worker.ResultReporter.Delivery;
import dev.docmesh.worker.WorkerMetrics.Outcome;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One leased task on one slot: fetch the document, run the processor under the task's
 * deadline while heartbeating, then deliver the result. Can be stopped from outside at any
 * time: the job was cancelled, the lease was lost, or the worker is handing it back.
 */
final class TaskRun {
  private static final Logger log = LoggerFactory.getLogger(TaskRun.class);
  private static final int DOCUMENT_CHUNK_BYTES = 1024 * 1024;

  /** Why a run was stopped before it finished. */
  enum StopReason {
    JOB_CANCELLED,
    LEASE_LOST,
    HAND_BACK
  }

  /** What every run on this worker shares. */
  record Services(
      WorkerConfig config,
      TaskQueueServiceGrpc.TaskQueueServiceBlockingStub queue,
      TaskQueueServiceGrpc.TaskQueueServiceStub queueAsync,
      ProcessorServiceGrpc.ProcessorServiceBlockingStub processors,
      CircuitBreaker breaker,
      ScheduledExecutorService scheduler,
      ResultReporter reporter,
      Tracer tracer,
      TextMapPropagator propagator) {}

  private final Task task;
  private final Services services;
  private final Instant startTime = Instant.now();
  private final long startNanos = System.nanoTime();
  private final Deadline deadline;
  private final Context.CancellableContext calls = Context.ROOT.withCancellation();
  private final AtomicReference<StopReason> stopReason = new AtomicReference<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile Progress progress = Progress.getDefaultInstance();

  TaskRun(Task task, Services services) {
    this.task = task;
    this.services = services;
    Duration timeout =
        task.hasTimeout() && (task.getTimeout().getSeconds() > 0 || task.getTimeout().getNanos() > 0)
            ? Duration.ofSeconds(task.getTimeout().getSeconds(), task.getTimeout().getNanos())
            : services.config().defaultTaskTimeout();
    this.deadline = Deadline.after(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  Task task() {
    return task;
  }

  double elapsedSeconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** Stops the run at once: its processor call (or document fetch, or backoff) is cancelled. */
  void stop(StopReason reason) {
    if (stopReason.compareAndSet(null, reason)) {
      log.atInfo().addKeyValue("task_id", task.getTaskId()).log("stopping task: {}", reason);
      calls.cancel(null);
      stopped.countDown();
    }
  }

  ActiveTask describe() {
    return ActiveTask.newBuilder()
        .setTaskId(task.getTaskId())
        .setJobId(task.getJobId())
        .setStage(task.getStage())
        .setProcessor(task.getProcessor())
        .setAttempt(task.getAttempt())
        .setProgress(progress)
        .setStartTime(Timestamps.fromMillis(startTime.toEpochMilli()))
        .build();
  }

  /** Runs the task to a settled outcome; never throws for anything the task itself did. */
  @SuppressWarnings("try") // the scope only makes the span current
  Outcome run() {
    Span span = startSpan();
    Heartbeater heartbeater =
        new Heartbeater(
            task,
            services.config().workerId(),
            services.queueAsync(),
            services.scheduler(),
            services.config().progressInterval(),
            new Heartbeater.Listener() {
              @Override
              public void cancelRequested() {
                stop(StopReason.JOB_CANCELLED);
              }

              @Override
              public void leaseLost(Status status) {
                stop(StopReason.LEASE_LOST);
              }
            });
    try (Scope ignored = span.makeCurrent()) {
      heartbeater.start();
      Attempt attempt = attempt(heartbeater);
      heartbeater.stopAndAwaitSent(); // no beat may follow the result
      Outcome outcome = settle(attempt);
      span.setAttribute("docmesh.outcome", outcome.label());
      if (outcome != Outcome.COMPLETED) {
        span.setStatus(StatusCode.ERROR, outcome.label());
      }
      return outcome;
    } finally {
      heartbeater.stop();
      calls.cancel(null);
      span.end();
    }
  }

  /** The result of running the processor, before it is delivered. */
  private sealed interface Attempt {}

  private record Done(StageOutput output) implements Attempt {}

  private record Failed(TaskFailure failure) implements Attempt {}

  private record Stopped() implements Attempt {}

  private Attempt attempt(Heartbeater heartbeater) {
    try {
      ByteString document = fetchDocument();
      return process(document, heartbeater);
    } catch (StatusRuntimeException e) {
      if (stopReason.get() != null) {
        return new Stopped();
      }
      return new Failed(TaskFailure.fromStatus(task.getStage(), e.getStatus(), e));
    } catch (StopException e) {
      return new Stopped();
    }
  }

  private Outcome settle(Attempt attempt) {
    StopReason reason = stopReason.get();
    if (reason == StopReason.JOB_CANCELLED) {
      return Outcome.CANCELLED;
    }
    if (reason == StopReason.LEASE_LOST) {
      return Outcome.LEASE_LOST;
    }
    // A finished result beats handing the task back: deliver it even when the stop came late.
    if (attempt instanceof Done done) {
      return deliver("CompleteTask", this::complete, done.output(), Outcome.COMPLETED);
    }
    TaskFailure failure =
        attempt instanceof Failed failed
            ? failed.failure()
            : TaskFailure.handedBack(task.getStage(), "worker " + services.config().workerId() + " is draining");
    Outcome onAccept = attempt instanceof Failed ? Outcome.FAILED : Outcome.HANDED_BACK;
    return deliver("FailTask", this::fail, failure, onAccept);
  }

  private <T> Outcome deliver(String what, Sender<T> sender, T payload, Outcome onAccept) {
    Delivery delivery = services.reporter().deliver(what, task.getTaskId(), timeout -> sender.send(payload, timeout));
    return delivery == Delivery.ACCEPTED ? onAccept : Outcome.LEASE_LOST;
  }

  @FunctionalInterface
  private interface Sender<T> {
    void send(T payload, Duration timeout);
  }

  private void complete(StageOutput output, Duration timeout) {
    services.queue()
        .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .completeTask(
            CompleteTaskRequest.newBuilder()
                .setTaskId(task.getTaskId())
                .setLeaseToken(task.getLeaseToken())
                .setWorkerId(services.config().workerId())
                .setOutput(output)
                .build());
  }

  private void fail(TaskFailure failure, Duration timeout) {
    services.queue()
        .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .failTask(
            FailTaskRequest.newBuilder()
                .setTaskId(task.getTaskId())
                .setLeaseToken(task.getLeaseToken())
                .setWorkerId(services.config().workerId())
                .setError(failure.error())
                .setRetryable(failure.retryable())
                .build());
  }

  /** The document's bytes; an unreachable orchestrator is retried with backoff until the deadline. */
  private ByteString fetchDocument() throws StopException {
    Backoff backoff = new Backoff(services.config().backoffInitial(), services.config().backoffMax());
    while (true) {
      try {
        return inCalls(this::readDocument);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || stopReason.get() != null) {
          throw e;
        }
        pause(backoff.next(), e);
      }
    }
  }

  private ByteString readDocument() {
    Iterator<GetDocumentResponse> chunks =
        services.queue()
            .withDeadline(deadline)
            .getDocument(
                GetDocumentRequest.newBuilder()
                    .setDocumentId(task.getDocument().getId())
                    .setChunkSize(DOCUMENT_CHUNK_BYTES)
                    .build());
    List<ByteString> parts = new ArrayList<>();
    while (chunks.hasNext()) {
      parts.add(chunks.next().getChunk());
    }
    return ByteString.copyFrom(parts);
  }

  /**
   * Runs the processor. While the processor target is unreachable (the channel's own retries
   * are exhausted, or the circuit is open) the call is retried with backoff until the task's
   * deadline: the lease is kept alive meanwhile, so the task is not failed for an outage.
   */
  private Attempt process(ByteString document, Heartbeater heartbeater) throws StopException {
    ProcessRequest request =
        ProcessRequest.newBuilder()
            .setProcessor(task.getProcessor())
            .setContent(document)
            .setMediaType(task.getDocument().getMediaType())
            .setFilename(task.getDocument().getFilename())
            .setPassword(task.getPassword())
            .putAllOptions(task.getOptionsMap())
            .addAllUpstream(task.getUpstreamList())
            .build();
    CircuitBreaker breaker = services.breaker();
    Backoff backoff = new Backoff(services.config().backoffInitial(), services.config().backoffMax());
    while (true) {
      if (!breaker.tryAcquire()) {
        pause(backoff.next(), Status.UNAVAILABLE.withDescription("circuit to " + breaker.target() + " is open").asRuntimeException());
        continue;
      }
      try {
        StageOutput output = inCalls(() -> callProcessor(request, heartbeater));
        breaker.onSuccess();
        return new Done(output);
      } catch (StatusRuntimeException e) {
        if (stopReason.get() != null) {
          throw e;
        }
        if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
          breaker.onFailure();
          pause(backoff.next(), e);
          continue;
        }
        breaker.onSuccess();
        Optional<Duration> busy = retryAfterWhenBusy(e);
        if (busy.isEmpty()) {
          throw e;
        }
        // the processor is up but saturated: wait as it asks instead of spending an attempt
        Duration jittered = backoff.next();
        pause(busy.get().compareTo(jittered) > 0 ? busy.get() : jittered, e);
      }
    }
  }

  /** The delay a processor asks for when it is too busy (RESOURCE_EXHAUSTED with RetryInfo, not a document limit). */
  private static Optional<Duration> retryAfterWhenBusy(StatusRuntimeException e) {
    if (e.getStatus().getCode() != Status.Code.RESOURCE_EXHAUSTED
        || Errors.reason(e).orElse("").startsWith("LIMIT_")) {
      return Optional.empty();
    }
    return Errors.detail(e, RetryInfo.class)
        .map(r -> Duration.ofSeconds(r.getRetryDelay().getSeconds(), r.getRetryDelay().getNanos()));
  }

  private StageOutput callProcessor(ProcessRequest request, Heartbeater heartbeater) {
    Iterator<ProcessResponse> events = services.processors().withDeadline(deadline).process(request);
    while (events.hasNext()) {
      ProcessResponse event = events.next();
      if (event.hasResult()) {
        drain(events);
        return event.getResult();
      }
      if (event.hasProgress()) {
        progress = event.getProgress();
        heartbeater.progress(event.getProgress());
      }
    }
    throw Status.INTERNAL.withDescription("processor stream ended without a result").asRuntimeException();
  }

  /** Reads the stream to its end so the call completes normally instead of being cancelled. */
  private static void drain(Iterator<ProcessResponse> events) {
    while (events.hasNext()) {
      events.next();
    }
  }

  private <T> T inCalls(java.util.function.Supplier<T> body) {
    Context previous = calls.attach();
    try {
      return body.get();
    } finally {
      calls.detach(previous);
    }
  }

  /** Waits before a retry; gives up when the run is stopped or the delay would pass the deadline. */
  private void pause(Duration delay, StatusRuntimeException lastError) throws StopException {
    if (deadline.timeRemaining(TimeUnit.NANOSECONDS) <= delay.toNanos()) {
      throw Status.DEADLINE_EXCEEDED
          .withDescription("gave up before the task deadline; last error: " + lastError.getStatus())
          .asRuntimeException();
    }
    try {
      if (stopped.await(delay.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new StopException();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StopException();
    }
  }

  private Span startSpan() {
    Map<String, String> carrier = new HashMap<>();
    if (!task.getTraceparent().isEmpty()) {
      carrier.put("traceparent", task.getTraceparent());
    }
    if (!task.getTracestate().isEmpty()) {
      carrier.put("tracestate", task.getTracestate());
    }
    io.opentelemetry.context.Context parent =
        services.propagator().extract(io.opentelemetry.context.Context.root(), carrier, MapGetter.INSTANCE);
    return services.tracer()
        .spanBuilder("task " + task.getProcessor())
        .setParent(parent)
        .setSpanKind(SpanKind.CONSUMER)
        .setAttribute("docmesh.task_id", task.getTaskId())
        .setAttribute("docmesh.job_id", task.getJobId())
        .setAttribute("docmesh.stage", task.getStage())
        .setAttribute("docmesh.attempt", task.getAttempt())
        .startSpan();
  }

  /** Thrown inside a run when it was stopped from outside during a wait. */
  private static final class StopException extends Exception {
    StopException() {
      super(null, null, false, false);
    }
  }

  private enum MapGetter implements TextMapGetter<Map<String, String>> {
    INSTANCE;

    @Override
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  }
}
