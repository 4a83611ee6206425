package dev.docmesh.worker;

import com.google.protobuf.ByteString;
import com.google.rpc.RetryInfo;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.meshkit.grpc.OpaqueMethods;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.orchestrator.v1.FollowOn;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import dev.docmesh.proto.relay.v1.OpaqueProcessRequest;
import dev.docmesh.proto.relay.v1.OpaqueProcessResponse;
import dev.docmesh.proto.relay.v1.OpaqueTask;
import dev.docmesh.proto.relay.v1.OpaqueUpstreamOutput;
import io.grpc.ClientCall;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

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

  /**
   * Runs the task's processor over {@code document}. While the processor target is unreachable (the
   * channel's own retries are exhausted, or the circuit is open) the call is retried with backoff
   * until the stage's deadline: the lease is kept alive meanwhile, so the task is not failed for an
   * outage. A typed failure from the processor is thrown as it came.
   */
  ByteString process(
      OpaqueTask task, ByteString document, RunControl run, Consumer<Progress> progress)
      throws RunControl.Stopped {
    return process(
        request(task, document)
            .setProcessor(task.getProcessor())
            .putAllOptions(task.getOptionsMap())
            .addAllUpstream(task.getUpstreamList())
            .build(),
        run,
        progress);
  }

  /**
   * Runs a follow-on stage of {@code task} over the task's document, as {@link #process(OpaqueTask,
   * ByteString, RunControl, Consumer)} runs the task; {@code upstream} holds the outputs of the
   * stages it runs after, which the task does not carry (they were made on this worker).
   */
  ByteString process(
      OpaqueTask task,
      FollowOn followOn,
      List<OpaqueUpstreamOutput> upstream,
      ByteString document,
      RunControl run,
      Consumer<Progress> progress)
      throws RunControl.Stopped {
    return process(
        request(task, document)
            .setProcessor(followOn.getProcessor())
            .putAllOptions(followOn.getOptionsMap())
            .addAllUpstream(upstream)
            .build(),
        run,
        progress);
  }

  /** What every stage run over {@code task}'s document shares. */
  private OpaqueProcessRequest.Builder request(OpaqueTask task, ByteString document) {
    return OpaqueProcessRequest.newBuilder()
        .setContent(document)
        .setMediaType(task.getDocument().getMediaType())
        .setFilename(task.getDocument().getFilename())
        .setPassword(task.getPassword())
        .setProgressInterval(progressInterval);
  }

  private ByteString process(
      OpaqueProcessRequest request, RunControl run, Consumer<Progress> progress)
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
        ByteString output = run.inCalls(() -> call(request, run, progress));
        breaker.onSuccess();
        return output;
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
   * The result as the processor encoded it: the worker hands it on without reading it. The stream
   * is read where it arrives (the channel runs callbacks on its network thread) and this thread
   * waits once, for the end: a blocking iterator would ask the network thread for each next message
   * from here, a wake-up of each thread for every message.
   */
  private ByteString call(
      OpaqueProcessRequest request, RunControl run, Consumer<Progress> progress) {
    ProcessCall events = new ProcessCall(progress);
    ClientCall<OpaqueProcessRequest, OpaqueProcessResponse> call =
        stub.getChannel()
            .newCall(OpaqueMethods.PROCESS, stub.getCallOptions().withDeadline(run.deadline()));
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

  /** One Process stream: progress relayed as it comes, the result once the stream has ended. */
  private static final class ProcessCall implements StreamObserver<OpaqueProcessResponse> {
    private final Consumer<Progress> progress;
    private final CompletableFuture<ByteString> result = new CompletableFuture<>();
    private ByteString output;

    ProcessCall(Consumer<Progress> progress) {
      this.progress = progress;
    }

    @Override
    public void onNext(OpaqueProcessResponse event) {
      if (event.hasResult()) {
        output = event.getResult();
      } else if (event.hasProgress() && output == null) {
        progress.accept(event.getProgress());
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      if (output != null) {
        result.complete(output);
      } else {
        result.completeExceptionally(
            Status.INTERNAL
                .withDescription("processor stream ended without a result")
                .asRuntimeException());
      }
    }
  }
}
