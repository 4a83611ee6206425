package dev.docmesh.orchestrator;

import com.google.protobuf.util.Durations;
import dev.docmesh.proto.document.v1.DocumentMetadata;
import dev.docmesh.proto.document.v1.DocumentText;
import dev.docmesh.proto.document.v1.Element;
import dev.docmesh.proto.document.v1.ElementType;
import dev.docmesh.proto.document.v1.Elements;
import dev.docmesh.proto.document.v1.PageText;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.document.v1.Relationship;
import dev.docmesh.proto.document.v1.RelationshipType;
import dev.docmesh.proto.document.v1.Relationships;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.document.v1.ValidationReport;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskRequest;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskResponse;
import dev.docmesh.proto.orchestrator.v1.FailTaskRequest;
import dev.docmesh.proto.orchestrator.v1.FailTaskResponse;
import dev.docmesh.proto.orchestrator.v1.FollowOn;
import dev.docmesh.proto.orchestrator.v1.FollowOnOutput;
import dev.docmesh.proto.orchestrator.v1.HeartbeatRequest;
import dev.docmesh.proto.orchestrator.v1.HeartbeatResponse;
import dev.docmesh.proto.orchestrator.v1.JobError;
import dev.docmesh.proto.orchestrator.v1.LeaseNext;
import dev.docmesh.proto.orchestrator.v1.PollTaskRequest;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc.TaskQueueServiceBlockingStub;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** A worker whose every step the test decides: it drives TaskQueueService over the network. */
final class ScriptedWorker {
  static final List<String> PDF_PROCESSORS =
      List.of("pdf.validate", "pdf.metadata", "pdf.text", "pdf.structure", "pdf.relationships");

  private final String id;
  private final Supplier<TaskQueueServiceBlockingStub> stub;

  ScriptedWorker(String id, Supplier<TaskQueueServiceBlockingStub> stub) {
    this.id = id;
    this.stub = stub;
  }

  /** Polls for up to {@code wait}; null when nothing came. */
  Task poll(Duration wait, List<String> processors) {
    return poll(wait, processors, 0);
  }

  /** Polls for up to {@code wait}, taking up to {@code maxFollowOns} follow-ons; null: none. */
  Task poll(Duration wait, List<String> processors, int maxFollowOns) {
    PollTaskRequest req =
        PollTaskRequest.newBuilder()
            .setWorkerId(id)
            .addAllProcessors(processors)
            .setWait(Durations.fromMillis(wait.toMillis()))
            .setSlotsTotal(2)
            .setSlotsBusy(0)
            .setMaxFollowOns(maxFollowOns)
            .build();
    var r =
        stub.get().withDeadlineAfter(wait.toMillis() + 10_000, TimeUnit.MILLISECONDS).pollTask(req);
    return r.hasTask() ? r.getTask() : null;
  }

  Task poll() {
    return poll(Duration.ofSeconds(5), PDF_PROCESSORS);
  }

  HeartbeatResponse heartbeat(Task t, Progress p) {
    return heartbeat(t, p, "");
  }

  /** A heartbeat of {@code t}'s lease with the progress of {@code stage}, one of its follow-ons. */
  HeartbeatResponse heartbeat(Task t, Progress p, String stage) {
    HeartbeatRequest.Builder b =
        HeartbeatRequest.newBuilder()
            .setTaskId(t.getTaskId())
            .setLeaseToken(t.getLeaseToken())
            .setWorkerId(id)
            .setProgressStage(stage);
    if (p != null) {
      b.setProgress(p);
    }
    return stub.get().withDeadlineAfter(10, TimeUnit.SECONDS).heartbeat(b.build());
  }

  CompleteTaskResponse complete(Task t) {
    return complete(t, outputFor(t.getProcessor()));
  }

  CompleteTaskResponse complete(Task t, StageOutput output) {
    return completeTask(completion(t, output).build());
  }

  /** Completes {@code t} asking for the next task of {@code processors} in the answer. */
  CompleteTaskResponse completeAndLeaseNext(Task t, List<String> processors) {
    return completeTask(
        completion(t, outputFor(t.getProcessor()))
            .setLeaseNext(
                LeaseNext.newBuilder()
                    .addAllProcessors(processors)
                    .setSlotsTotal(3)
                    .setSlotsBusy(1))
            .build());
  }

  /**
   * Completes {@code t} with the outputs of the first {@code ran} of its follow-ons, asking for the
   * next task with up to {@code maxFollowOns} follow-ons.
   */
  CompleteTaskResponse completeWithFollowOns(Task t, int ran, int maxFollowOns) {
    CompleteTaskRequest.Builder b = completion(t, outputFor(t.getProcessor()));
    for (FollowOn f : t.getFollowOnsList().subList(0, ran)) {
      b.addFollowOnOutputs(
          FollowOnOutput.newBuilder()
              .setTaskId(f.getTaskId())
              .setOutput(outputFor(f.getProcessor())));
    }
    b.setLeaseNext(
        LeaseNext.newBuilder()
            .addAllProcessors(PDF_PROCESSORS)
            .setSlotsTotal(2)
            .setSlotsBusy(1)
            .setMaxFollowOns(maxFollowOns));
    return completeTask(b.build());
  }

  CompleteTaskResponse completeTask(CompleteTaskRequest request) {
    return stub.get().withDeadlineAfter(10, TimeUnit.SECONDS).completeTask(request);
  }

  private CompleteTaskRequest.Builder completion(Task t, StageOutput output) {
    return CompleteTaskRequest.newBuilder()
        .setTaskId(t.getTaskId())
        .setLeaseToken(t.getLeaseToken())
        .setWorkerId(id)
        .setOutput(output);
  }

  FailTaskResponse fail(Task t, String reason, boolean retryable) {
    return stub.get()
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .failTask(
            FailTaskRequest.newBuilder()
                .setTaskId(t.getTaskId())
                .setLeaseToken(t.getLeaseToken())
                .setWorkerId(id)
                .setRetryable(retryable)
                .setError(
                    JobError.newBuilder()
                        .setCode("INVALID_ARGUMENT")
                        .setReason(reason)
                        .setMessage("scripted failure"))
                .build());
  }

  /** A plausible typed output for each built-in processor. */
  static StageOutput outputFor(String processor) {
    return switch (processor) {
      case "pdf.validate" ->
          StageOutput.newBuilder()
              .setValidation(
                  ValidationReport.newBuilder()
                      .setValid(true)
                      .setMediaType("application/pdf")
                      .setPageCount(2))
              .build();
      case "pdf.metadata" ->
          StageOutput.newBuilder()
              .setMetadata(DocumentMetadata.newBuilder().setPageCount(2).setTitle("Scripted"))
              .build();
      case "pdf.text" ->
          StageOutput.newBuilder()
              .setText(
                  DocumentText.newBuilder()
                      .addPages(PageText.newBuilder().setPageNumber(1).setText("one"))
                      .addPages(PageText.newBuilder().setPageNumber(2).setText("two")))
              .build();
      case "pdf.structure" ->
          StageOutput.newBuilder()
              .setElements(
                  Elements.newBuilder()
                      .addElements(
                          Element.newBuilder()
                              .setId("e1")
                              .setType(ElementType.ELEMENT_TYPE_TITLE)
                              .setText("Scripted")
                              .setPageNumber(1))
                      .addElements(
                          Element.newBuilder()
                              .setId("e2")
                              .setType(ElementType.ELEMENT_TYPE_PARAGRAPH)
                              .setText("one")
                              .setPageNumber(1)
                              .setParentId("e1")))
              .build();
      case "pdf.relationships" ->
          StageOutput.newBuilder()
              .setRelationships(
                  Relationships.newBuilder()
                      .addRelationships(
                          Relationship.newBuilder()
                              .setId("r1")
                              .setType(RelationshipType.RELATIONSHIP_TYPE_CONTAINS)
                              .setSourceId("e1")
                              .setTargetId("e2")))
              .build();
      default ->
          StageOutput.newBuilder()
              .setCustom(com.google.protobuf.Struct.getDefaultInstance())
              .build();
    };
  }
}
