package dev.docmesh.worker;

import com.google.protobuf.ByteString;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.orchestrator.v1.FollowOn;
import dev.docmesh.proto.processor.v1.ProcessStep;
import dev.docmesh.proto.relay.v1.OpaqueFollowOnOutput;
import dev.docmesh.proto.relay.v1.OpaqueTask;
import dev.docmesh.worker.WorkerMetrics.Outcome;
import io.grpc.Status;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The follow-on stages offered with a leased task (Task.follow_ons), run as the steps of the task's
 * own Process call (ProcessRequest.then): the document goes to the processor once, each stage's
 * upstream is made there, and the task's lease and heartbeats cover them all. The chain ends at the
 * first stage that does not finish. That fails nothing: what finished is reported with the task,
 * and the rest run later as ordinary tasks, the failed one included, where it gets its own
 * attempts.
 */
final class FollowOnChain {
  private static final Logger log = LoggerFactory.getLogger(FollowOnChain.class);
  private static final AttributeKey<String> STAGE = AttributeKey.stringKey("docmesh.stage");
  private static final AttributeKey<String> GRPC_STATUS = AttributeKey.stringKey("grpc.status");

  /** How a follow-on that was started ended. */
  enum End {
    FINISHED,
    /** Its step failed (an error, its time limit, the task's deadline). */
    FAILED,
    /** The run was stopped, or the worker began draining, while it ran. */
    STOPPED
  }

  /** A follow-on started in the run, with its output when it finished, and when it ran. */
  record Ran(FollowOn followOn, End end, ByteString output, Instant started, Instant ended) {
    /** How it ended on this worker, given how the task's run settled. */
    Outcome outcome(Outcome task) {
      return switch (end) {
        case FINISHED -> task; // delivered (or not) with the task's CompleteTask
        case FAILED -> Outcome.FAILED;
        // the one stop that still completes the task is handing it back: this stage runs elsewhere
        case STOPPED -> task == Outcome.COMPLETED ? Outcome.HANDED_BACK : task;
      };
    }
  }

  private final OpaqueTask task;
  private final Span taskSpan;
  private final List<FollowOn> toRun;

  /**
   * The follow-ons to run: those offered, up to the number the worker asked for, and none once it
   * drains (the rest run on workers that stay).
   */
  FollowOnChain(OpaqueTask task, TaskRun.Services services, Span taskSpan) {
    this.task = task;
    this.taskSpan = taskSpan;
    List<FollowOn> offered = task.getFollowOnsList();
    this.toRun =
        services.draining().getAsBoolean()
            ? List.of()
            : offered.subList(0, Math.min(offered.size(), services.config().maxFollowOns()));
  }

  /** The steps of the task's Process call. */
  List<ProcessStep> steps() {
    List<ProcessStep> steps = new ArrayList<>(toRun.size());
    for (FollowOn f : toRun) {
      steps.add(
          ProcessStep.newBuilder()
              .setStage(f.getStage())
              .setProcessor(f.getProcessor())
              .putAllOptions(f.getOptionsMap())
              .addAllAfter(f.getAfterList())
              .setTimeout(f.getTimeout())
              .build());
    }
    return steps;
  }

  /**
   * The follow-ons the call started, in order, given what it made: those with a result finished;
   * the next one was stopped ({@code stopped}: the run was stopped, or the worker began draining
   * and cut the call short) or failed with the step's error.
   */
  List<Ran> ran(ProcessorClient.Outputs outputs, boolean stopped) {
    List<Ran> ran = new ArrayList<>();
    List<ProcessorClient.StepOutput> made = outputs.steps();
    Instant start = outputs.outputAt(); // a step starts once the one before it has answered
    Instant now = Instant.now();
    for (int i = 0; i < toRun.size(); i++) {
      FollowOn f = toRun.get(i);
      if (i < made.size() && made.get(i).stage().equals(f.getStage())) {
        ran.add(new Ran(f, End.FINISHED, made.get(i).output(), start, made.get(i).at()));
        start = made.get(i).at();
        continue;
      }
      if (i < made.size()) { // a processor that answers out of order: trust none of the rest
        log.atWarn()
            .addKeyValue("task_id", task.getTaskId())
            .addKeyValue("stage", f.getStage())
            .log("the processor answered step {} in its place", made.get(i).stage());
        ran.add(new Ran(f, End.FAILED, null, start, now));
      } else if (stopped) {
        ran.add(new Ran(f, End.STOPPED, null, start, now));
      } else if (outputs.stepFailure() != null) {
        failed(f, outputs.stepFailure().getStatus(), Errors.reason(outputs.stepFailure()));
        ran.add(new Ran(f, End.FAILED, null, start, now));
      } // else the processor ran no step (one that predates them): nothing was started
      break;
    }
    return ran;
  }

  /** What CompleteTask reports of {@code ran}: the outputs of those that finished. */
  static List<OpaqueFollowOnOutput> outputs(List<Ran> ran) {
    return ran.stream()
        .filter(r -> r.end() == End.FINISHED)
        .map(
            r ->
                OpaqueFollowOnOutput.newBuilder()
                    .setTaskId(r.followOn().getTaskId())
                    .setOutput(r.output())
                    .build())
        .toList();
  }

  /**
   * Records each follow-on that {@code ran} as a task attempt of its own in the job's trace, as an
   * ordinary task's run would be: a span under {@code parent} (the job's context) named for its
   * stage, from the answer before it to its own, with how it ended given the task's {@code outcome}
   * and the pages it reported.
   */
  static void trace(
      List<Ran> ran,
      OpaqueTask task,
      Tracer tracer,
      Context parent,
      Outcome outcome,
      Map<String, Progress> lastProgress) {
    for (Ran r : ran) {
      FollowOn f = r.followOn();
      Span span =
          tracer
              .spanBuilder("task " + f.getStage())
              .setParent(parent)
              .setSpanKind(SpanKind.CONSUMER)
              .setStartTimestamp(r.started())
              .setAttribute("docmesh.task.id", f.getTaskId())
              .setAttribute("docmesh.job.id", task.getJobId())
              .setAttribute("docmesh.processor", f.getProcessor())
              .setAttribute("docmesh.stage", f.getStage())
              .setAttribute("docmesh.attempt", 1L)
              .setAttribute("docmesh.follow_on_of", task.getTaskId())
              .startSpan();
      Outcome own = r.outcome(outcome);
      span.setAttribute("docmesh.outcome", own.label());
      Progress p = lastProgress.get(f.getStage());
      if (p != null && "page".equals(p.getUnit())) {
        span.setAttribute("docmesh.pages", p.getDone());
      }
      if (own != Outcome.COMPLETED) {
        span.setStatus(StatusCode.ERROR, own.label());
      }
      span.end(r.ended());
    }
  }

  private void failed(FollowOn followOn, Status status, java.util.Optional<String> reason) {
    log.atInfo()
        .addKeyValue("task_id", task.getTaskId())
        .addKeyValue("stage", followOn.getStage())
        .log(
            "follow-on {} failed ({} {}); completing {} without it, it runs as a task of its own",
            followOn.getTaskId(),
            status.getCode(),
            reason.orElse(""),
            task.getTaskId());
    taskSpan.addEvent(
        "follow-on failed",
        Attributes.of(STAGE, followOn.getStage(), GRPC_STATUS, status.getCode().name()));
  }
}
