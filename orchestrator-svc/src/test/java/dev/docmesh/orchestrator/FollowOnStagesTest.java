package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.rpc.BadRequest;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskRequest;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskResponse;
import dev.docmesh.proto.orchestrator.v1.FollowOn;
import dev.docmesh.proto.orchestrator.v1.FollowOnOutput;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobResultRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobResult;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.ListWorkersRequest;
import dev.docmesh.proto.orchestrator.v1.StageStatus;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import dev.docmesh.proto.orchestrator.v1.TaskStateChanged;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Follow-on stages: a poll that asks for them gets the stages waiting on its task with it, and one
 * CompleteTask records the whole chain, each stage with the events and the durability of its own
 * completion.
 */
class FollowOnStagesTest {
  @RegisterExtension final TestOrchestrator orch = TestOrchestrator.perTest();

  private static final List<String> PDF = ScriptedWorker.PDF_PROCESSORS;

  @Test
  void oneCompletionRecordsAWholeJobRunAsFollowOns() throws Exception {
    Job job = orch.submitPdf();
    EventCollector watch = new EventCollector();
    orch.asyncClient.watchJob(WatchJobRequest.newBuilder().setJobId(job.getId()).build(), watch);
    ScriptedWorker w = orch.worker("w");

    Task validate = w.poll(Duration.ofSeconds(5), PDF, 8);
    assertThat(validate.getStage()).isEqualTo("validate");
    assertThat(validate.getFollowOnsList())
        .extracting(FollowOn::getStage)
        .containsExactly("metadata", "text", "structure", "relationships");
    FollowOn relationships = validate.getFollowOns(3);
    assertThat(relationships.getTaskId()).isEqualTo(job.getId() + "/relationships");
    assertThat(relationships.getProcessor()).isEqualTo("pdf.relationships");
    assertThat(relationships.getAfterList()).containsExactly("metadata", "text", "structure");
    assertThat(relationships.getTimeout().getSeconds()).isPositive();
    // offered, not leased: each waits on the lease as before
    assertThat(stage(getJob(job.getId()), "text").getState())
        .isEqualTo(TaskState.TASK_STATE_BLOCKED);

    // a follow-on's progress travels on the task's heartbeat, to watchers, under its own stage
    w.heartbeat(
        validate, Progress.newBuilder().setDone(1).setTotal(2).setUnit("page").build(), "text");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                watch.events.stream()
                    .anyMatch(
                        e ->
                            e.hasTaskProgressed()
                                && e.getTaskProgressed().getStage().equals("text")
                                && e.getTaskProgressed().getProgress().getDone() == 1));

    CompleteTaskResponse done = w.completeWithFollowOns(validate, 4, 0);
    assertThat(done.getJobState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    assertThat(done.hasNextTask()).isFalse();
    assertThat(watch.awaitDone()).isTrue();

    Job finished = getJob(job.getId());
    assertThat(finished.getStagesList())
        .allSatisfy(
            s -> {
              assertThat(s.getState()).isEqualTo(TaskState.TASK_STATE_SUCCEEDED);
              assertThat(s.getWorkerId()).isEqualTo("w");
              assertThat(s.getAttempt()).isEqualTo(1);
            });
    // every stage's events, in the order run, numbered without a gap
    List<JobEvent> stored = watch.events.stream().filter(e -> !e.hasTaskProgressed()).toList();
    assertThat(stored)
        .extracting(JobEvent::getSequence)
        .containsExactlyElementsOf(LongStream.rangeClosed(1, stored.size()).boxed().toList());
    assertThat(
            stored.stream()
                .filter(JobEvent::hasTaskStateChanged)
                .map(JobEvent::getTaskStateChanged)
                .filter(c -> c.getStage().equals("structure"))
                .map(TaskStateChanged::getTo)
                .toList())
        .containsExactly(
            TaskState.TASK_STATE_READY,
            TaskState.TASK_STATE_LEASED,
            TaskState.TASK_STATE_SUCCEEDED);
    assertThat(
            stored.stream()
                .filter(
                    e ->
                        e.hasTaskStateChanged()
                            && e.getTaskStateChanged().getTo() == TaskState.TASK_STATE_SUCCEEDED)
                .map(e -> e.getTaskStateChanged().getStage())
                .toList())
        .containsExactly("validate", "metadata", "text", "structure", "relationships");
    assertThat(finished.getLastSequence()).isEqualTo(stored.get(stored.size() - 1).getSequence());

    // the outputs are the job's result, also after a restart
    orch.restart();
    JobResult result =
        orch.client
            .getJobResult(GetJobResultRequest.newBuilder().setJobId(job.getId()).build())
            .getResult();
    assertThat(result.getState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    assertThat(result.getValidation().getValid()).isTrue();
    assertThat(result.getMetadata().getTitle()).isEqualTo("Scripted");
    assertThat(result.getPagesList()).hasSize(2);
    assertThat(result.getElementsList()).hasSize(2);
    assertThat(result.getRelationshipsList()).hasSize(1);
  }

  @Test
  void maxFollowOnsCapsTheChainAndZeroAsksForNone() {
    Job first = orch.submitPdf();
    ScriptedWorker w = orch.worker("w");
    Task validate = w.poll(Duration.ofSeconds(5), PDF, 2);
    assertThat(validate.getJobId()).isEqualTo(first.getId());
    assertThat(validate.getFollowOnsList())
        .extracting(FollowOn::getStage)
        .containsExactly("metadata", "text");

    orch.submitPdf();
    Task plain = w.poll(Duration.ofSeconds(5), PDF, 0);
    assertThat(plain.getStage()).isEqualTo("validate");
    assertThat(plain.getFollowOnsList()).isEmpty();
  }

  @Test
  void whatAChainDidNotReportRunsAsOrdinaryTasks() {
    Job job = orch.submitPdf();
    ScriptedWorker w = orch.worker("w");
    Task validate = w.poll(Duration.ofSeconds(5), PDF, 8);
    assertThat(validate.getFollowOnsCount()).isEqualTo(4);

    // metadata and text ran; structure did not (it failed, say): it is READY, and leased next
    CompleteTaskResponse partial = w.completeWithFollowOns(validate, 2, 8);
    assertThat(partial.getJobState()).isEqualTo(JobState.JOB_STATE_RUNNING);
    Job mid = getJob(job.getId());
    assertThat(stage(mid, "metadata").getState()).isEqualTo(TaskState.TASK_STATE_SUCCEEDED);
    assertThat(stage(mid, "text").getState()).isEqualTo(TaskState.TASK_STATE_SUCCEEDED);
    Task structure = partial.getNextTask();
    assertThat(structure.getStage()).isEqualTo("structure");
    assertThat(structure.getAttempt()).isEqualTo(1);
    // relationships is not offered with it: two of its upstream outputs are stored, not in the
    // chain
    assertThat(structure.getFollowOnsList()).isEmpty();
    assertThat(stage(mid, "relationships").getState()).isEqualTo(TaskState.TASK_STATE_BLOCKED);

    CompleteTaskResponse afterStructure = w.completeWithFollowOns(structure, 0, 8);
    Task last = afterStructure.getNextTask();
    assertThat(last.getStage()).isEqualTo("relationships");
    assertThat(last.getUpstreamList())
        .extracting(u -> u.getStage())
        .containsExactly("metadata", "text", "structure");
    assertThat(w.complete(last).getJobState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
  }

  @Test
  void aStageAnIdleWorkerCanRunIsNotOfferedAndGoesToItInParallel() throws Exception {
    ScriptedWorker idle = orch.worker("idle");
    CompletableFuture<Task> parked =
        CompletableFuture.supplyAsync(
            () -> idle.poll(Duration.ofSeconds(20), List.of("pdf.text"), 8));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                orch
                    .client
                    .listWorkers(ListWorkersRequest.getDefaultInstance())
                    .getWorkersList()
                    .stream()
                    .anyMatch(i -> i.getWorkerId().equals("idle")));
    Job job = orch.submitPdf();
    ScriptedWorker w = orch.worker("w");
    Task validate = w.poll(Duration.ofSeconds(5), PDF, 8);
    // text goes to the idle worker; relationships waits on text, so it is not offered either
    assertThat(validate.getFollowOnsList())
        .extracting(FollowOn::getStage)
        .containsExactly("metadata", "structure");

    w.completeWithFollowOns(validate, 2, 0);
    Task text = parked.get();
    assertThat(text.getStage()).isEqualTo("text");
    assertThat(text.getJobId()).isEqualTo(job.getId());
    assertThat(stage(getJob(job.getId()), "structure").getState())
        .isEqualTo(TaskState.TASK_STATE_SUCCEEDED);
  }

  @Test
  void theFollowOnsOfAStaleLeaseAreNotRecorded() {
    Job job = orch.submitPdf();
    ScriptedWorker w = orch.worker("w");
    Task validate = w.poll(Duration.ofSeconds(5), PDF, 8);
    w.complete(validate); // completed once without them: metadata, text, structure READY
    StatusRuntimeException stale =
        catchThrowableOfType(
            StatusRuntimeException.class, () -> w.completeWithFollowOns(validate, 4, 0));
    assertThat(Errors.reason(stale)).contains("LEASE_STALE");
    Job mid = getJob(job.getId());
    assertThat(stage(mid, "metadata").getState()).isEqualTo(TaskState.TASK_STATE_READY);
    assertThat(stage(mid, "relationships").getState()).isEqualTo(TaskState.TASK_STATE_BLOCKED);
  }

  @Test
  void badFollowOnOutputsAreRefusedAndChangeNothing() {
    Job job = orch.submitPdf();
    Job other = orch.submitPdf();
    ScriptedWorker w = orch.worker("w");
    Task validate = w.poll(Duration.ofSeconds(5), PDF, 8);
    assertThat(validate.getJobId()).isEqualTo(job.getId());

    assertRefused(
        w,
        followOnOf(validate, other.getId() + "/text", output("pdf.text")),
        "follow_on_outputs[0].task_id");
    assertRefused(
        w,
        followOnOf(validate, job.getId() + "/validate", output("pdf.validate")),
        "follow_on_outputs[0].task_id");
    assertRefused(
        w, followOnOf(validate, "not a task", output("pdf.text")), "follow_on_outputs[0].task_id");
    assertRefused(
        w,
        followOnOf(validate, job.getId() + "/text", StageOutput.getDefaultInstance()),
        "follow_on_outputs[0].output");
    // a heartbeat naming a stage the job does not have
    StatusRuntimeException noStage =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> w.heartbeat(validate, Progress.newBuilder().setDone(1).build(), "nope"));
    assertThat(noStage.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);

    Job still = getJob(job.getId());
    assertThat(stage(still, "validate").getState()).isEqualTo(TaskState.TASK_STATE_LEASED);
    assertThat(stage(still, "text").getState()).isEqualTo(TaskState.TASK_STATE_BLOCKED);
    assertThat(w.completeWithFollowOns(validate, 4, 0).getJobState())
        .isEqualTo(JobState.JOB_STATE_SUCCEEDED);
  }

  private static CompleteTaskRequest followOnOf(Task t, String taskId, StageOutput output) {
    return CompleteTaskRequest.newBuilder()
        .setTaskId(t.getTaskId())
        .setLeaseToken(t.getLeaseToken())
        .setWorkerId("w")
        .setOutput(output(t.getProcessor()))
        .addFollowOnOutputs(FollowOnOutput.newBuilder().setTaskId(taskId).setOutput(output))
        .build();
  }

  private static StageOutput output(String processor) {
    return ScriptedWorker.outputFor(processor);
  }

  private static void assertRefused(ScriptedWorker w, CompleteTaskRequest req, String field) {
    StatusRuntimeException e =
        catchThrowableOfType(StatusRuntimeException.class, () -> w.completeTask(req));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(Errors.detail(e, BadRequest.class))
        .hasValueSatisfying(b -> assertThat(b.getFieldViolations(0).getField()).isEqualTo(field));
  }

  private Job getJob(String id) {
    return orch.client.getJob(GetJobRequest.newBuilder().setJobId(id).build()).getJob();
  }

  private static StageStatus stage(Job job, String name) {
    return job.getStagesList().stream()
        .filter(s -> s.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }
}
