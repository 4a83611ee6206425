package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.BadRequest;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskResponse;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.ListWorkersRequest;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import dev.docmesh.proto.orchestrator.v1.WorkerInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** CompleteTask with lease_next: the completion's answer carries the worker's next task. */
class CompletionLeasesNextTest {
  @RegisterExtension final TestOrchestrator orch = TestOrchestrator.perTest();

  @Test
  void aWorkerRunsAWholeJobOnOnePollAndFiveCompletions() {
    Job job = orch.submitPdf();
    ScriptedWorker w = orch.worker("w");
    Task t = w.poll();
    assertThat(t.getStage()).isEqualTo("validate");
    List<String> stages = new ArrayList<>();
    CompleteTaskResponse last = null;
    while (t != null) {
      stages.add(t.getStage());
      last = w.completeAndLeaseNext(t, ScriptedWorker.PDF_PROCESSORS);
      Task next = last.hasNextTask() ? last.getNextTask() : null;
      if (next != null) {
        assertThat(next.getAttempt()).isEqualTo(1);
        assertThat(next.getLeaseToken()).isNotEmpty().isNotEqualTo(t.getLeaseToken());
        assertThat(next.getUpstreamList())
            .extracting(u -> u.getStage())
            .as("the upstream outputs of %s", next.getStage())
            .isNotEmpty();
        Job mid = getJob(job.getId());
        assertThat(stage(mid, next.getStage()).getState()).isEqualTo(TaskState.TASK_STATE_LEASED);
        assertThat(stage(mid, next.getStage()).getWorkerId()).isEqualTo("w");
      }
      t = next;
    }
    assertThat(stages)
        .hasSize(5)
        .startsWith("validate")
        .endsWith("relationships")
        .containsExactlyInAnyOrder("validate", "metadata", "text", "structure", "relationships");
    // the last completion found nothing READY: no task, and the job's final state in its answer
    assertThat(last.getJobState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    assertThat(getJob(job.getId()).getState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    assertThat(orch.client.listWorkers(ListWorkersRequest.getDefaultInstance()).getWorkersList())
        .filteredOn(i -> i.getWorkerId().equals("w"))
        .singleElement()
        .extracting(WorkerInfo::getSlotsTotal)
        .isEqualTo(3); // lease_next's figures, not the first poll's (2)
  }

  @Test
  void onlyTasksOfTheNamedProcessorsAreHandedOver() {
    Job job = orch.submitPdf();
    ScriptedWorker w = orch.worker("w");
    Task validate = w.poll();
    CompleteTaskResponse r = w.completeAndLeaseNext(validate, List.of("pdf.text"));
    assertThat(r.getNextTask().getProcessor()).isEqualTo("pdf.text");
    Job mid = getJob(job.getId());
    assertThat(stage(mid, "metadata").getState()).isEqualTo(TaskState.TASK_STATE_READY);
    assertThat(stage(mid, "structure").getState()).isEqualTo(TaskState.TASK_STATE_READY);
    // none of those: the completion stands, no task comes with it
    CompleteTaskResponse none = w.completeAndLeaseNext(r.getNextTask(), List.of("pdf.validate"));
    assertThat(none.hasNextTask()).isFalse();
    assertThat(none.getJobState()).isEqualTo(JobState.JOB_STATE_RUNNING);
    assertThat(stage(getJob(job.getId()), "text").getState())
        .isEqualTo(TaskState.TASK_STATE_SUCCEEDED);
  }

  @Test
  void aBadLeaseNextIsRefusedAndChangesNothing() {
    Job job = orch.submitPdf();
    ScriptedWorker w = orch.worker("w");
    Task validate = w.poll();
    StatusRuntimeException bad =
        catchThrowableOfType(
            StatusRuntimeException.class, () -> w.completeAndLeaseNext(validate, List.of()));
    assertThat(bad.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(Errors.detail(bad, BadRequest.class))
        .hasValueSatisfying(
            b -> assertThat(b.getFieldViolations(0).getField()).isEqualTo("lease_next.processors"));
    Job still = getJob(job.getId());
    assertThat(stage(still, "validate").getState()).isEqualTo(TaskState.TASK_STATE_LEASED);
    assertThat(stage(still, "text").getState()).isEqualTo(TaskState.TASK_STATE_BLOCKED);
    // the same lease still completes
    assertThat(w.complete(validate).getJobState()).isEqualTo(JobState.JOB_STATE_RUNNING);
  }

  @Test
  void aRefusedCompletionLeasesNothing() {
    Job job = orch.submitPdf();
    ScriptedWorker w = orch.worker("w");
    Task validate = w.poll();
    Task text = w.completeAndLeaseNext(validate, List.of("pdf.text")).getNextTask();
    // completing validate again: stale, and the READY stages stay READY
    StatusRuntimeException stale =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> w.completeAndLeaseNext(validate, ScriptedWorker.PDF_PROCESSORS));
    assertThat(Errors.reason(stale)).contains("LEASE_STALE");
    Job mid = getJob(job.getId());
    assertThat(stage(mid, "metadata").getState()).isEqualTo(TaskState.TASK_STATE_READY);
    assertThat(stage(mid, "structure").getState()).isEqualTo(TaskState.TASK_STATE_READY);
    assertThat(stage(mid, "text").getState()).isEqualTo(TaskState.TASK_STATE_LEASED);
    // and a plain poll gets them
    assertThat(w.poll(Duration.ofSeconds(1), ScriptedWorker.PDF_PROCESSORS)).isNotNull();
    assertThat(text.getStage()).isEqualTo("text");
  }

  private Job getJob(String id) {
    return orch.client.getJob(GetJobRequest.newBuilder().setJobId(id).build()).getJob();
  }

  private static dev.docmesh.proto.orchestrator.v1.StageStatus stage(Job job, String name) {
    return job.getStagesList().stream()
        .filter(s -> s.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }
}
