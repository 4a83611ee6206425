package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.Durations;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.meshkit.testing.TestClock;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.document.v1.ValidationReport;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobResultRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.RetryPolicy;
import dev.docmesh.proto.orchestrator.v1.Stage;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leases with a short duration: expiry re-dispatches, stale tokens change nothing, one output per
 * stage.
 */
class LeaseTest {
  @TempDir Path data;
  TestOrchestrator orch;

  @BeforeEach
  void start() {
    orch =
        TestOrchestrator.start(
            data, Map.of("DOCMESH_LEASE_DURATION", "1s", "DOCMESH_LEASE_SWEEP_INTERVAL", "50ms"));
  }

  @AfterEach
  void stop() throws Exception {
    orch.close();
  }

  @Test
  void expiredLeaseIsRedispatchedAndTheStaleCompletionIsRejected() throws Exception {
    Job job = orch.submitPdf();
    EventCollector watch = new EventCollector();
    orch.asyncClient.watchJob(WatchJobRequest.newBuilder().setJobId(job.getId()).build(), watch);
    ScriptedWorker dead = orch.worker("dead");
    ScriptedWorker alive = orch.worker("alive");
    Task first = dead.poll();
    assertThat(first.getLeaseDuration().getSeconds()).isEqualTo(1);

    // the first worker never heartbeats: after the lease the task goes to the next poller, attempt
    // 2
    Task second = alive.poll(Duration.ofSeconds(5), ScriptedWorker.PDF_PROCESSORS);
    assertThat(second.getTaskId()).isEqualTo(first.getTaskId());
    assertThat(second.getAttempt()).isEqualTo(2);
    assertThat(second.getLeaseToken()).isNotEqualTo(first.getLeaseToken());

    StatusRuntimeException stale =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                dead.complete(
                    first,
                    StageOutput.newBuilder()
                        .setValidation(ValidationReport.newBuilder().setValid(false))
                        .build()));
    assertThat(stale.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(Errors.reason(stale)).contains("LEASE_STALE");
    StatusRuntimeException staleFail =
        catchThrowableOfType(StatusRuntimeException.class, () -> dead.fail(first, "X", false));
    assertThat(Errors.reason(staleFail)).contains("LEASE_STALE");
    StatusRuntimeException staleBeat =
        catchThrowableOfType(StatusRuntimeException.class, () -> dead.heartbeat(first, null));
    assertThat(Errors.reason(staleBeat)).contains("LEASE_STALE");

    Job mid = orch.client.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build()).getJob();
    assertThat(mid.getStages(0).getState()).isEqualTo(TaskState.TASK_STATE_LEASED);
    assertThat(mid.getStages(0).getWorkerId()).isEqualTo("alive");

    alive.complete(second);
    // completing twice with the (now finished) lease is stale too: exactly one output per stage
    StatusRuntimeException twice =
        catchThrowableOfType(StatusRuntimeException.class, () -> alive.complete(second));
    assertThat(Errors.reason(twice)).contains("LEASE_STALE");

    for (int i = 0; i < 4; i++) {
      alive.complete(alive.poll());
    }
    assertThat(watch.awaitDone()).isTrue();
    assertThat(watch.events)
        .filteredOn(e -> e.hasTaskStateChanged() && e.getTaskStateChanged().hasError())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getTaskStateChanged().getError().getReason()).isEqualTo("LEASE_EXPIRED");
              assertThat(e.getTaskStateChanged().getTo()).isEqualTo(TaskState.TASK_STATE_READY);
              assertThat(e.getTaskStateChanged().getAttempt()).isEqualTo(2);
            });
    assertThat(
            orch.client
                .getJobResult(GetJobResultRequest.newBuilder().setJobId(job.getId()).build())
                .getResult()
                .getValidation()
                .getValid())
        .as("the stale worker's output was not recorded")
        .isTrue();
    assertThat(orch.metrics())
        .contains("docmesh_tasks_total{processor=\"pdf.validate\",outcome=\"lease_expired\",} 1.0");
  }

  @Test
  void heartbeatsKeepTheLeaseAlive() throws Exception {
    // the orchestrator's clock moves only when the test says so: no wall-clock race with the 1 s
    // lease
    TestClock clock = TestClock.frozen();
    orch.close();
    orch =
        TestOrchestrator.start(
            data,
            Map.of("DOCMESH_LEASE_DURATION", "1s", "DOCMESH_LEASE_SWEEP_INTERVAL", "50ms"),
            clock);
    Job job = orch.submitPdf();
    ScriptedWorker w = orch.worker("w");
    Task t = w.poll();
    // hold the task for almost five lease durations, heartbeating every 0.6 lease
    for (int i = 0; i < 8; i++) {
      clock.advance(Duration.ofMillis(600));
      w.heartbeat(t, null);
    }
    assertThat(w.complete(t).getJobState()).isEqualTo(JobState.JOB_STATE_RUNNING);
    assertThat(
            orch.client
                .getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build())
                .getJob()
                .getStages(0)
                .getAttempt())
        .isEqualTo(1);

    // and the same clock does expire a lease that is not renewed: the beats above were what kept it
    Task next = w.poll();
    clock.advance(Duration.ofMillis(1100));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                orch.metrics()
                    .contains(
                        "docmesh_tasks_total{processor=\""
                            + next.getProcessor()
                            + "\",outcome=\"lease_expired\",} 1.0"));
  }

  @Test
  void aTaskWhoseLeasesKeepExpiringFailsWhenItsAttemptsAreUsedUp() throws Exception {
    Job job = orch.submitPdf();
    ScriptedWorker w = orch.worker("w");
    for (int attempt = 1; attempt <= 3; attempt++) {
      assertThat(w.poll().getAttempt()).isEqualTo(attempt);
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                orch.client
                        .getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build())
                        .getJob()
                        .getState()
                    == JobState.JOB_STATE_FAILED);
    Job failed =
        orch.client.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build()).getJob();
    assertThat(failed.getError().getReason()).isEqualTo("LEASE_EXPIRED");
    assertThat(failed.getError().getStage()).isEqualTo("validate");
  }

  @Test
  void anAttemptLongerThanTheStageTimeoutEndsEvenWithHeartbeats() throws Exception {
    Pipeline p =
        Pipeline.newBuilder()
            .setName("t")
            .addStages(
                Stage.newBuilder()
                    .setName("slow")
                    .setProcessor("text.plain")
                    .setTimeout(Durations.fromMillis(600))
                    .setRetry(RetryPolicy.newBuilder().setMaxAttempts(1)))
            .build();
    Job job =
        orch.submit(
            SubmitJobRequest.newBuilder()
                .setContent(ByteString.copyFromUtf8("x"))
                .setInlinePipeline(p)
                .build());
    ScriptedWorker w = orch.worker("w");
    Task t = w.poll(Duration.ofSeconds(5), List.of("text.plain"));
    assertThat(t.getTimeout().getNanos()).isEqualTo(600_000_000);
    await()
        .pollInterval(Duration.ofMillis(100))
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              try {
                return w.heartbeat(t, null).getCancelRequested();
              } catch (StatusRuntimeException e) {
                return Errors.reason(e).orElse("").equals("LEASE_STALE");
              }
            });
    Job failed =
        orch.client.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build()).getJob();
    assertThat(failed.getState()).isEqualTo(JobState.JOB_STATE_FAILED);
    assertThat(failed.getError().getReason()).isEqualTo("STAGE_TIMEOUT");
  }
}
