package dev.docmesh.worker;

import com.google.protobuf.ByteString;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.orchestrator.v1.FollowOn;
import dev.docmesh.proto.relay.v1.OpaqueFollowOnOutput;
import dev.docmesh.proto.relay.v1.OpaqueTask;
import dev.docmesh.proto.relay.v1.OpaqueUpstreamOutput;
import dev.docmesh.worker.WorkerMetrics.Outcome;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The follow-on stages offered with a leased task (Task.follow_ons), run one after another on its
 * slot once the task's own output exists: the same document, the same lease (the task's heartbeats
 * keep it), each stage's upstream taken from the outputs made here. The chain ends at the first
 * stage that does not finish. That fails nothing: what finished is reported with the task, and the
 * rest run later as ordinary tasks, the failed one included, where it gets its own attempts.
 */
final class FollowOnChain {
  private static final Logger log = LoggerFactory.getLogger(FollowOnChain.class);
  private static final AttributeKey<String> STAGE = AttributeKey.stringKey("docmesh.stage");
  private static final AttributeKey<String> GRPC_STATUS = AttributeKey.stringKey("grpc.status");

  /** How a follow-on that was started ended. */
  enum End {
    FINISHED,
    /** Its processor call failed (an error, its deadline, an outage outlasting it). */
    FAILED,
    /** The run was stopped while it ran. */
    STOPPED
  }

  /** A follow-on started in the run, with its output when it finished. */
  record Ran(FollowOn followOn, End end, ByteString output) {
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
  private final TaskRun.Services services;
  private final RunControl control;
  private final Heartbeater heartbeater;
  private final Span taskSpan;

  FollowOnChain(
      OpaqueTask task,
      TaskRun.Services services,
      RunControl control,
      Heartbeater heartbeater,
      Span taskSpan) {
    this.task = task;
    this.services = services;
    this.control = control;
    this.heartbeater = heartbeater;
    this.taskSpan = taskSpan;
  }

  /**
   * Runs the follow-ons after the task's own {@code output} over {@code document}, until one does
   * not finish, the run is stopped or the worker drains; returns those started, in order.
   */
  List<Ran> run(ByteString document, ByteString output) {
    Map<String, OpaqueUpstreamOutput> made = new HashMap<>();
    made.put(task.getStage(), upstream(task.getStage(), task.getProcessor(), output));
    List<FollowOn> offered = task.getFollowOnsList();
    List<Ran> ran = new ArrayList<>();
    for (FollowOn followOn :
        offered.subList(0, Math.min(offered.size(), services.config().maxFollowOns()))) {
      // a stop ends the run; a draining worker takes on nothing new (the rest run on workers that
      // stay) and delivers what it has now rather than at the end of the grace
      if (control.isStopped() || services.draining().getAsBoolean()) {
        break;
      }
      List<OpaqueUpstreamOutput> upstream = new ArrayList<>();
      for (String stage : followOn.getAfterList()) {
        OpaqueUpstreamOutput before = made.get(stage);
        if (before == null) {
          log.atWarn()
              .addKeyValue("task_id", task.getTaskId())
              .addKeyValue("stage", followOn.getStage())
              .log("follow-on runs after {}, whose output this worker does not have", stage);
          return ran;
        }
        upstream.add(before);
      }
      Ran r = run(followOn, upstream, document);
      ran.add(r);
      if (r.end() != End.FINISHED) {
        break;
      }
      made.put(
          followOn.getStage(), upstream(followOn.getStage(), followOn.getProcessor(), r.output()));
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

  @SuppressWarnings("try") // the scope only makes the span current
  private Ran run(FollowOn followOn, List<OpaqueUpstreamOutput> upstream, ByteString document) {
    control.nextStage(
        TaskRun.stageTimeout(followOn.getTimeout(), services.config().defaultTaskTimeout()));
    Span span =
        services
            .tracer()
            .spanBuilder("follow-on " + followOn.getStage())
            .setParent(Context.current().with(taskSpan))
            .setAttribute("docmesh.task.id", followOn.getTaskId())
            .setAttribute("docmesh.stage", followOn.getStage())
            .setAttribute("docmesh.processor", followOn.getProcessor())
            .startSpan();
    try (Scope ignored = span.makeCurrent()) {
      ByteString output =
          services
              .processors()
              .process(
                  task,
                  followOn,
                  upstream,
                  document,
                  control,
                  p -> heartbeater.progress(followOn.getStage(), p));
      return new Ran(followOn, End.FINISHED, output);
    } catch (StatusRuntimeException e) {
      if (control.isStopped()) {
        return stopped(followOn, span);
      }
      failed(followOn, e, span);
      return new Ran(followOn, End.FAILED, null);
    } catch (RunControl.Stopped e) {
      return stopped(followOn, span);
    } finally {
      span.end();
    }
  }

  private Ran stopped(FollowOn followOn, Span span) {
    span.addEvent("stopped: " + control.stopReason());
    return new Ran(followOn, End.STOPPED, null);
  }

  private void failed(FollowOn followOn, StatusRuntimeException e, Span span) {
    Status status = e.getStatus();
    log.atInfo()
        .addKeyValue("task_id", task.getTaskId())
        .addKeyValue("stage", followOn.getStage())
        .log(
            "follow-on {} failed ({} {}); completing {} without it, it runs as a task of its own",
            followOn.getTaskId(),
            status.getCode(),
            Errors.reason(e).orElse(""),
            task.getTaskId());
    taskSpan.addEvent(
        "follow-on failed",
        Attributes.of(STAGE, followOn.getStage(), GRPC_STATUS, status.getCode().name()));
    span.setStatus(StatusCode.ERROR, status.getCode().name());
  }

  private static OpaqueUpstreamOutput upstream(String stage, String processor, ByteString output) {
    return OpaqueUpstreamOutput.newBuilder()
        .setStage(stage)
        .setProcessor(processor)
        .setOutput(output)
        .build();
  }
}
