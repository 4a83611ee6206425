package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobResultRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobResult;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.SubmitJobResponse;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Close the orchestrator mid-job and open it again on the same data directory: nothing is lost. */
class RestartTest {
  @TempDir Path data;

  @Test
  void restartMidJobLosesNothingAndAResumingWatcherSeesAGapFreeSequence() throws Exception {
    TestOrchestrator orch = TestOrchestrator.start(data);
    try {
      SubmitJobRequest submit =
          SubmitJobRequest.newBuilder()
              .setContent(ByteString.copyFrom(TestOrchestrator.PDF))
              .setRequestId("restart-1")
              .putLabels("k", "v")
              .build();
      Job job = orch.submit(submit);
      EventCollector before = new EventCollector();
      orch.asyncClient.watchJob(WatchJobRequest.newBuilder().setJobId(job.getId()).build(), before);

      ScriptedWorker w = orch.worker("w");
      w.complete(w.poll());
      Task a = w.poll();
      Task b = w.poll();
      w.complete(a);
      w.heartbeat(b, Progress.newBuilder().setDone(3).setTotal(4).setUnit("page").build());
      Job atRestart =
          orch.client.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build()).getJob();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> before.lastSequence() == atRestart.getLastSequence());
      long seen = before.lastSequence();

      orch.restart();

      Job after =
          orch.client.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build()).getJob();
      // progress is not stored (the worker relays it again with its next heartbeat); all else is
      assertThat(withoutProgress(after)).isEqualTo(withoutProgress(atRestart));
      assertThat(after.getState()).isEqualTo(JobState.JOB_STATE_RUNNING);
      assertThat(after.getStagesList())
          .extracting(s -> s.getState())
          .containsExactly(
              TaskState.TASK_STATE_SUCCEEDED,
              TaskState.TASK_STATE_SUCCEEDED,
              TaskState.TASK_STATE_LEASED,
              TaskState.TASK_STATE_READY,
              TaskState.TASK_STATE_BLOCKED);
      SubmitJobResponse again = orch.client.submitJob(submit);
      assertThat(again.getDeduplicated()).isTrue();
      assertThat(again.getJob().getId()).isEqualTo(job.getId());

      EventCollector resumed = new EventCollector();
      orch.asyncClient.watchJob(
          WatchJobRequest.newBuilder().setJobId(job.getId()).setAfterSequence(seen).build(),
          resumed);

      // the lease taken before the restart is still good after it
      assertThat(w.heartbeat(b, null).getCancelRequested()).isFalse();
      w.complete(b);
      Task c = w.poll();
      assertThat(c.getStage()).isEqualTo("structure");
      w.complete(c);
      Task rel = w.poll();
      assertThat(rel.getUpstreamCount())
          .as("outputs from before the restart are handed on")
          .isEqualTo(3);
      assertThat(w.complete(rel).getJobState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);

      assertThat(resumed.awaitDone()).isTrue();
      assertThat(resumed.error).isNull();
      // stored events, gap-free across the restart (progress is live only: it repeats a sequence)
      List<Long> all =
          new ArrayList<>(
              before.events.stream()
                  .filter(e -> !e.hasTaskProgressed())
                  .map(JobEvent::getSequence)
                  .filter(s -> s <= seen)
                  .toList());
      resumed.events.stream()
          .filter(e -> !e.hasTaskProgressed())
          .map(JobEvent::getSequence)
          .forEach(all::add);
      assertThat(all)
          .containsExactlyElementsOf(LongStream.rangeClosed(1, all.size()).boxed().toList());
      JobEvent last = resumed.events.get(resumed.events.size() - 1);
      assertThat(last.getJobStateChanged().getTo()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);

      JobResult result =
          orch.client
              .getJobResult(GetJobResultRequest.newBuilder().setJobId(job.getId()).build())
              .getResult();
      assertThat(result.getValidation().getValid()).isTrue();
      assertThat(result.getMetadata().getTitle()).isEqualTo("Scripted");
      assertThat(result.getPagesCount()).isEqualTo(2);

      // and once more: a finished job is read back whole after another restart
      orch.restart();
      Job finished =
          orch.client.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build()).getJob();
      assertThat(finished.getState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
      assertThat(finished.getLastSequence()).isEqualTo(last.getSequence());
    } finally {
      orch.close();
    }
  }

  @Test
  void readyTasksAreDispatchedAfterARestart() throws Exception {
    TestOrchestrator orch = TestOrchestrator.start(data);
    try {
      Job low =
          orch.submit(
              SubmitJobRequest.newBuilder()
                  .setContent(ByteString.copyFrom(TestOrchestrator.PDF))
                  .setPriority(1)
                  .build());
      Job high =
          orch.submit(
              SubmitJobRequest.newBuilder()
                  .setContent(ByteString.copyFrom(TestOrchestrator.PDF))
                  .setPriority(9)
                  .build());
      orch.restart();
      ScriptedWorker w = orch.worker("w");
      assertThat(w.poll().getJobId()).isEqualTo(high.getId());
      assertThat(w.poll().getJobId()).isEqualTo(low.getId());
    } finally {
      orch.close();
    }
  }

  @Test
  void everyAnswerIsAlreadyInTheDatabaseFileWhenItArrives() throws Exception {
    try (TestOrchestrator orch = TestOrchestrator.start(data);
        java.sql.Connection db =
            java.sql.DriverManager.getConnection(
                "jdbc:sqlite:" + data.resolve("orchestrator.db"))) {
      Job job = orch.submitPdf();
      assertThat(count(db, "SELECT count(*) FROM jobs WHERE id = '" + job.getId() + "'"))
          .isEqualTo(1);
      assertThat(count(db, "SELECT count(*) FROM events WHERE job_id = '" + job.getId() + "'"))
          .isEqualTo(job.getLastSequence());
      ScriptedWorker w = orch.worker("w");
      Task t = w.poll();
      assertThat(
              count(
                  db, "SELECT count(*) FROM tasks WHERE lease_token = '" + t.getLeaseToken() + "'"))
          .isEqualTo(1);
      w.complete(t);
      assertThat(
              count(
                  db,
                  "SELECT count(*) FROM outputs WHERE job_id = '"
                      + job.getId()
                      + "' AND stage = 'validate'"))
          .isEqualTo(1);
    }
  }

  private static long count(java.sql.Connection db, String sql) throws Exception {
    try (var st = db.createStatement();
        var rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static Job withoutProgress(Job j) {
    Job.Builder b = j.toBuilder().clearProgressPercent();
    for (int i = 0; i < b.getStagesCount(); i++) {
      b.setStages(i, b.getStages(i).toBuilder().clearProgress());
    }
    return b.build();
  }
}
