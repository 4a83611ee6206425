package dev.docmesh.worker;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.Timestamps;
import dev.docmesh.meshkit.tracing.Tracing;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.orchestrator.v1.LeaseNext;
import dev.docmesh.proto.relay.v1.OpaqueFollowOnOutput;
import dev.docmesh.proto.relay.v1.OpaqueTask;
import dev.docmesh.proto.worker.v1.ActiveTask;
import dev.docmesh.worker.ResultReporter.Delivery;
import dev.docmesh.worker.RunControl.StopReason;
import dev.docmesh.worker.WorkerMetrics.Outcome;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One leased task on one slot, as a state machine: fetch the document, run the processor under the
 * task's deadline while heartbeating, run the follow-ons offered with it ({@link FollowOnChain}),
 * then settle (deliver the results, fail the task, or hand it back). Can be stopped from outside at
 * any time: the job was cancelled, the lease was lost, or the worker is handing it back. The calls
 * themselves are the clients' business.
 */
final class TaskRun {
  private static final Logger log = LoggerFactory.getLogger(TaskRun.class);

  /** What every run on this worker shares. */
  record Services(
      WorkerConfig config,
      TaskQueueClient queue,
      ProcessorClient processors,
      Tracer tracer,
      TextMapPropagator propagator,
      Supplier<LeaseNext> leaseNext,
      BooleanSupplier draining) {}

  private final OpaqueTask task;
  private final Services services;
  private final Instant startTime = Instant.now();
  private final long startNanos = System.nanoTime();
  private final RunControl control;
  private volatile Progress progress = Progress.getDefaultInstance();

  /** The last progress each follow-on reported, by stage. */
  private final Map<String, Progress> followOnProgress = new ConcurrentHashMap<>();

  private OpaqueTask next;
  private List<FollowOnChain.Ran> followOns = List.of();

  TaskRun(OpaqueTask task, Services services) {
    this.task = task;
    this.services = services;
    Duration timeout =
        task.hasTimeout()
                && (task.getTimeout().getSeconds() > 0 || task.getTimeout().getNanos() > 0)
            ? Duration.ofSeconds(task.getTimeout().getSeconds(), task.getTimeout().getNanos())
            : services.config().defaultTaskTimeout();
    this.control = new RunControl(timeout);
  }

  OpaqueTask task() {
    return task;
  }

  /** The slot's next task, handed over with this one's completion; null when none. */
  OpaqueTask next() {
    return next;
  }

  /** The follow-ons this run started, once it has run. */
  List<FollowOnChain.Ran> followOns() {
    return followOns;
  }

  double elapsedSeconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** Stops the run at once: its processor call (or document fetch, or backoff) is cancelled. */
  void stop(StopReason reason) {
    if (control.stop(reason)) {
      log.atInfo().addKeyValue("task_id", task.getTaskId()).log("stopping task: {}", reason);
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
        services
            .queue()
            .heartbeater(
                task,
                new Heartbeater.Listener() {
                  @Override
                  public void cancelRequested() {
                    span.addEvent("job cancelled");
                    stop(StopReason.JOB_CANCELLED);
                  }

                  @Override
                  public void leaseLost(Status status) {
                    span.addEvent(
                        "lease lost",
                        Attributes.of(
                            AttributeKey.stringKey("grpc.status"), status.getCode().name()));
                    stop(StopReason.LEASE_LOST);
                  }
                });
    try (Scope ignored = span.makeCurrent()) {
      heartbeater.start();
      Attempt attempt = attempt(heartbeater, span);
      heartbeater.stopAndAwaitSent(); // no beat may follow the result
      Outcome outcome = settle(attempt);
      span.setAttribute("docmesh.outcome", outcome.label());
      Progress last = progress;
      if ("page".equals(last.getUnit())) {
        span.setAttribute("docmesh.pages", last.getDone());
      }
      if (outcome != Outcome.COMPLETED) {
        span.setStatus(StatusCode.ERROR, outcome.label());
      }
      FollowOnChain.trace(
          followOns, task, services.tracer(), parentContext(), outcome, followOnProgress);
      return outcome;
    } finally {
      heartbeater.stop();
      control.end();
      span.end();
    }
  }

  /** The result of running the processor (and the follow-ons), before it is delivered. */
  private sealed interface Attempt {}

  private record Done(ByteString output, List<OpaqueFollowOnOutput> followOnOutputs)
      implements Attempt {}

  private record Failed(TaskFailure failure) implements Attempt {}

  private record Stopped() implements Attempt {}

  private Attempt attempt(Heartbeater heartbeater, Span span) {
    FollowOnChain chain = new FollowOnChain(task, services, span);
    ProcessorClient.Outputs outputs;
    try {
      ByteString document = services.queue().document(task, control);
      outputs =
          services
              .processors()
              .process(
                  task,
                  chain.steps(),
                  document,
                  control,
                  (stage, p) -> {
                    if (stage.isEmpty()) {
                      progress = p;
                    } else {
                      followOnProgress.put(stage, p);
                    }
                    heartbeater.progress(stage, p);
                  },
                  services.draining());
    } catch (StatusRuntimeException e) {
      if (control.isStopped()) {
        return new Stopped();
      }
      return new Failed(TaskFailure.fromStatus(task.getStage(), e.getStatus(), e));
    } catch (RunControl.Stopped e) {
      return new Stopped();
    }
    followOns = chain.ran(outputs, control.isStopped() || services.draining().getAsBoolean());
    List<OpaqueFollowOnOutput> followOnOutputs = FollowOnChain.outputs(followOns);
    span.setAttribute("docmesh.follow_ons", followOnOutputs.size());
    return new Done(outputs.output(), followOnOutputs);
  }

  private Outcome settle(Attempt attempt) {
    StopReason reason = control.stopReason();
    if (reason == StopReason.JOB_CANCELLED) {
      return Outcome.CANCELLED;
    }
    if (reason == StopReason.LEASE_LOST) {
      return Outcome.LEASE_LOST;
    }
    // A finished result beats handing the task back: deliver it even when the stop came late, with
    // the follow-ons finished by then.
    if (attempt instanceof Done done) {
      TaskQueueClient.Completion c =
          services
              .queue()
              .complete(task, done.output(), done.followOnOutputs(), services.leaseNext().get());
      next = c.next();
      return accepted(c.delivery(), Outcome.COMPLETED);
    }
    if (attempt instanceof Failed failed) {
      return accepted(services.queue().fail(task, failed.failure()), Outcome.FAILED);
    }
    TaskFailure handedBack =
        TaskFailure.handedBack(
            task.getStage(), "worker " + services.config().workerId() + " is draining");
    return accepted(services.queue().fail(task, handedBack), Outcome.HANDED_BACK);
  }

  private static Outcome accepted(Delivery delivery, Outcome onAccept) {
    return delivery == Delivery.ACCEPTED ? onAccept : Outcome.LEASE_LOST;
  }

  /** The job's trace context, which every task attempt's span is a child of. */
  private io.opentelemetry.context.Context parentContext() {
    return Tracing.parentContext(
        services.propagator(), task.getTraceparent(), task.getTracestate());
  }

  private Span startSpan() {
    return services
        .tracer()
        .spanBuilder("task " + task.getStage())
        .setParent(parentContext())
        .setSpanKind(SpanKind.CONSUMER)
        .setAttribute("docmesh.task.id", task.getTaskId())
        .setAttribute("docmesh.job.id", task.getJobId())
        .setAttribute("docmesh.processor", task.getProcessor())
        .setAttribute("docmesh.stage", task.getStage())
        .setAttribute("docmesh.attempt", task.getAttempt())
        .startSpan();
  }
}
