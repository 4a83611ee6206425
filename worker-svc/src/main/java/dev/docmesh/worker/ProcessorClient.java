package dev.docmesh.worker;

import com.google.protobuf.ByteString;
import com.google.rpc.RetryInfo;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.meshkit.grpc.OpaqueMethods;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.processor.v1.ProcessStep;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import dev.docmesh.proto.relay.v1.OpaqueProcessRequest;
import dev.docmesh.proto.relay.v1.OpaqueProcessResponse;
import dev.docmesh.proto.relay.v1.OpaqueTask;
import io.grpc.ClientCall;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;

/**
 * The worker's side of ProcessorService: the processors it offers (the catalog) and Process calls
 * behind the circuit breaker, retried while the target is unreachable or saturated.
 */
final class ProcessorClient {
  private static final AttributeKey<String> TARGET =
      AttributeKey.stringKey("docmesh.processor.target");
  private static final AttributeKey<String> REASON = AttributeKey.stringKey("docmesh.retry.reason");
  private final ProcessorServiceGrpc.ProcessorServiceBlockingStub stub;
  private final CircuitBreaker breaker;
  private final ProcessorCatalog catalog;
  private final Duration backoffInitial;
  private final Duration backoffMax;
  private final com.google.protobuf.Duration progressInterval;

  /**
   * {@code progressInterval}: how often the worker relays progress at most; the processor is asked
   * not to send it more often (a progress event a page costs both sides a message each).
   */
  ProcessorClient(
      ProcessorServiceGrpc.ProcessorServiceBlockingStub stub,
      CircuitBreaker breaker,
      Duration backoffInitial,
      Duration backoffMax,
      Duration progressInterval) {
    this.stub = stub;
    this.breaker = breaker;
    this.catalog = new ProcessorCatalog(stub, breaker);
    this.backoffInitial = backoffInitial;
    this.backoffMax = backoffMax;
    this.progressInterval =
        com.google.protobuf.Duration.newBuilder()
            .setSeconds(progressInterval.getSeconds())
            .setNanos(progressInterval.getNano())
            .build();
  }

  /** The processors the service offers, as last listed. */
  List<String> names() {
    return catalog.names();
  }

  /** Lists the processors again; true when the list is fresh. */
  boolean refreshCatalog() {
    return catalog.refresh();
  }

  /** False while the circuit is open: the worker then stops taking tasks it could not run. */
  boolean isCallPermitted() {
    return breaker.isCallPermitted();
  }

  /** Progress of the stage it names: empty for the task's own, else a step's. */
  interface StageProgress {
    void progress(String stage, Progress progress);
  }

  /**
   * A step's result as the processor encoded it (the worker hands it on without reading it), and
   * when it came.
   */
  record StepOutput(String stage, ByteString output, Instant at) {}

  /**
   * What one Process call made: the task's output, then the outputs of the steps that finished, in
   * order; {@code stepFailure} is the error that ended the steps early, null when none did (they
   * all ran, or the worker cut the call short).
   */
  record Outputs(
      ByteString output,
      Instant outputAt,
      List<StepOutput> steps,
      StatusRuntimeException stepFailure) {}

  /**
   * Runs the task's processor over {@code document}, then the {@code steps} (its follow-ons) in the
   * same call, so the document goes to the processor once. While the processor target is
   * unreachable (the channel's own retries are exhausted, or the circuit is open) the call is
   * retried with backoff until the task's deadline: the lease is kept alive meanwhile, so the task
   * is not failed for an outage. A typed failure of the task's own processor is thrown as it came;
   * a step's ends the steps ({@link Outputs#stepFailure}). Once {@code enough} says so after a
   * result, the call is cancelled and what came stands.
   */
  Outputs process(
      OpaqueTask task,
      List<ProcessStep> steps,
      ByteString document,
      RunControl run,
      StageProgress progress,
      BooleanSupplier enough)
      throws RunControl.Stopped {
    OpaqueProcessRequest request =
        OpaqueProcessRequest.newBuilder()
            .setProcessor(task.getProcessor())
            .setStage(task.getStage())
            .setContent(document)
            .setMediaType(task.getDocument().getMediaType())
            .setFilename(task.getDocument().getFilename())
            .setPassword(task.getPassword())
            .putAllOptions(task.getOptionsMap())
            .addAllUpstream(task.getUpstreamList())
            .setProgressInterval(progressInterval)
            .addAllThen(steps)
            .build();
    return process(request, run, progress, enough);
  }

  private Outputs process(
      OpaqueProcessRequest request, RunControl run, StageProgress progress, BooleanSupplier enough)
      throws RunControl.Stopped {
    Backoff backoff = new Backoff(backoffInitial, backoffMax);
    while (true) {
      if (!breaker.tryAcquire()) {
        // events on the span of the stage running, which the run made current on this thread
        Span.current().addEvent("circuit open", Attributes.of(TARGET, breaker.target()));
        run.pause(
            backoff.next(),
            Status.UNAVAILABLE
                .withDescription("circuit to " + breaker.target() + " is open")
                .asRuntimeException());
        continue;
      }
      try {
        Outputs outputs = run.inCalls(() -> call(request, run, progress, enough));
        breaker.onSuccess();
        return outputs;
      } catch (StatusRuntimeException e) {
        if (run.isStopped()) {
          throw e;
        }
        if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
          breaker.onFailure();
          Span.current()
              .addEvent("retry", Attributes.of(REASON, "UNAVAILABLE", TARGET, breaker.target()));
          run.pause(backoff.next(), e);
          continue;
        }
        breaker.onSuccess();
        Optional<Duration> busy = retryAfterWhenBusy(e);
        if (busy.isEmpty()) {
          throw e;
        }
        // the processor is up but saturated: wait as it asks instead of spending an attempt
        Span.current().addEvent("retry", Attributes.of(REASON, "busy", TARGET, breaker.target()));
        Duration jittered = backoff.next();
        run.pause(busy.get().compareTo(jittered) > 0 ? busy.get() : jittered, e);
      }
    }
  }

  /**
   * The delay a processor asks for when it is too busy (RESOURCE_EXHAUSTED with RetryInfo, not a
   * document limit).
   */
  private static Optional<Duration> retryAfterWhenBusy(StatusRuntimeException e) {
    if (e.getStatus().getCode() != Status.Code.RESOURCE_EXHAUSTED
        || Errors.reason(e).orElse("").startsWith("LIMIT_")) {
      return Optional.empty();
    }
    return Errors.detail(e, RetryInfo.class)
        .map(r -> Duration.ofSeconds(r.getRetryDelay().getSeconds(), r.getRetryDelay().getNanos()));
  }

  /**
   * The results as the processor encoded them. The stream is read where it arrives (the channel
   * runs callbacks on its network thread) and this thread waits once, for the end: a blocking
   * iterator would ask the network thread for each next message from here, a wake-up of each thread
   * for every message.
   */
  private Outputs call(
      OpaqueProcessRequest request,
      RunControl run,
      StageProgress progress,
      BooleanSupplier enough) {
    ClientCall<OpaqueProcessRequest, OpaqueProcessResponse> call =
        stub.getChannel()
            .newCall(OpaqueMethods.PROCESS, stub.getCallOptions().withDeadline(run.deadline()));
    ProcessCall events = new ProcessCall(call, request.getThenCount(), progress, enough);
    ClientCalls.asyncServerStreamingCall(call, request, events);
    try {
      return events.result.get();
    } catch (InterruptedException e) {
      call.cancel("interrupted", e);
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").withCause(e).asRuntimeException();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof StatusRuntimeException s
          ? s
          : Status.fromThrowable(e.getCause()).asRuntimeException();
    }
  }

  /**
   * One Process stream: progress relayed as it comes; the outputs once the stream has ended, or
   * once it was cut short. An error after the task's own result ends only the steps.
   */
  private static final class ProcessCall implements StreamObserver<OpaqueProcessResponse> {
    private final ClientCall<?, ?> call;
    private final int stepsAsked;
    private final StageProgress progress;
    private final BooleanSupplier enough;
    private final CompletableFuture<Outputs> result = new CompletableFuture<>();
    private final List<StepOutput> steps = new ArrayList<>();
    private ByteString output;
    private Instant outputAt;

    ProcessCall(
        ClientCall<?, ?> call, int stepsAsked, StageProgress progress, BooleanSupplier enough) {
      this.call = call;
      this.stepsAsked = stepsAsked;
      this.progress = progress;
      this.enough = enough;
    }

    @Override
    public void onNext(OpaqueProcessResponse event) {
      if (result.isDone()) {
        return;
      }
      String stage = event.getStage();
      if (event.hasResult()) {
        if (stage.isEmpty()) {
          output = event.getResult();
          outputAt = Instant.now();
        } else if (output != null) {
          steps.add(new StepOutput(stage, event.getResult(), Instant.now()));
        }
        if (output != null && steps.size() < stepsAsked && enough.getAsBoolean()) {
          result.complete(outputs(null));
          call.cancel("the worker takes no further step", null);
        }
      } else if (event.hasProgress() && (output == null || !stage.isEmpty())) {
        progress.progress(stage, event.getProgress());
      }
    }

    @Override
    public void onError(Throwable t) {
      if (output == null) {
        result.completeExceptionally(t);
      } else {
        result.complete(
            outputs(
                t instanceof StatusRuntimeException s
                    ? s
                    : Status.fromThrowable(t).asRuntimeException()));
      }
    }

    private Outputs outputs(StatusRuntimeException stepFailure) {
      return new Outputs(output, outputAt, List.copyOf(steps), stepFailure);
    }

    @Override
    public void onCompleted() {
      if (output != null) {
        result.complete(outputs(null));
      } else {
        result.completeExceptionally(
            Status.INTERNAL
                .withDescription("processor stream ended without a result")
                .asRuntimeException());
      }
    }
  }
}
