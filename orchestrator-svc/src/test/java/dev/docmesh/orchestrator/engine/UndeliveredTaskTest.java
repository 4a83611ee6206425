package dev.docmesh.orchestrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.orchestrator.store.SqliteJobStore;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.document.v1.ValidationReport;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import dev.docmesh.proto.relay.v1.OpaqueTask;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A task handed to a poll whose caller has just gone away is taken back at once, not after the
 * lease.
 */
class UndeliveredTaskTest {
  @TempDir Path data;
  SqliteJobStore store;
  ScheduledExecutorService timer;
  ExecutorService streams;
  JobEngine engine;

  @BeforeEach
  void start() {
    store = new SqliteJobStore(data.resolve("o.db"), "NORMAL");
    timer = Executors.newSingleThreadScheduledExecutor();
    streams = Executors.newSingleThreadExecutor();
    engine = TestEngines.start(data, store, store, timer, streams);
  }

  @AfterEach
  void stop() {
    engine.close();
    timer.shutdownNow();
    streams.shutdownNow();
    store.close();
  }

  /**
   * A poll call as the engine sees it; {@code goneAfter} checks of isGone() it reports the caller
   * gone.
   */
  static final class PollCall implements PollReply {
    final CompletableFuture<OpaqueTask> answer = new CompletableFuture<>();
    final AtomicInteger checks = new AtomicInteger();
    final int goneAfter;

    PollCall(int goneAfter) {
      this.goneAfter = goneAfter;
    }

    @Override
    public boolean isGone() {
      return checks.incrementAndGet() > goneAfter;
    }

    @Override
    public void onGone(Runnable r) {}

    @Override
    public boolean answer(OpaqueTask task) {
      return answer.complete(task);
    }

    @Override
    public void fail(RuntimeException e) {
      answer.completeExceptionally(e);
    }
  }

  /** A pdf-standard job over a document id made of {@code digit}. */
  private Job submitPdfStandard(String digit) throws Exception {
    return TestEngines.submitPdfStandard(engine, digit).get(10, TimeUnit.SECONDS);
  }

  @Test
  void aTaskThePollerCouldNotReceiveIsReadyAgainWithItsAttempt() throws Exception {
    PollCall leaving = new PollCall(1); // alive when chosen, gone when answered
    engine.poll("w1", List.of("pdf.validate"), Duration.ofSeconds(10), 1, 0, 0, "", null, leaving);
    Job job = submitPdfStandard("1");
    assertThat(leaving.answer).isNotDone();

    PollCall staying = new PollCall(Integer.MAX_VALUE);
    engine.poll("w2", List.of("pdf.validate"), Duration.ofSeconds(10), 1, 0, 0, "", null, staying);
    OpaqueTask got = staying.answer.get(10, TimeUnit.SECONDS);
    assertThat(got.getJobId()).isEqualTo(job.getId());
    assertThat(got.getAttempt()).isEqualTo(1);
    assertThat(store.events(job.getId(), 0, 100))
        .anySatisfy(
            e -> {
              assertThat(e.getTaskStateChanged().getTo()).isEqualTo(TaskState.TASK_STATE_READY);
              assertThat(e.getTaskStateChanged().getError().getReason())
                  .isEqualTo("POLL_CANCELLED");
            });
  }

  @Test
  void aTaskLeasedForACompletionWhoseAnswerFailedIsReadyAgainWithItsAttempt() throws Exception {
    Job job = submitPdfStandard("2");
    PollCall poll = new PollCall(Integer.MAX_VALUE);
    engine.poll("w", List.of("pdf.validate"), Duration.ofSeconds(10), 1, 0, 0, "", null, poll);
    OpaqueTask validate = poll.answer.get(10, TimeUnit.SECONDS);
    PollCall held = new PollCall(Integer.MAX_VALUE);
    engine
        .complete(
            validate.getTaskId(),
            validate.getLeaseToken(),
            StageOutput.newBuilder()
                .setValidation(ValidationReport.newBuilder().setValid(true))
                .build()
                .toByteString(),
            new JobEngine.NextPoll("w", List.of("pdf.text"), 1, 1, 0, "", held))
        .get(10, TimeUnit.SECONDS);
    OpaqueTask text = held.answer.get(10, TimeUnit.SECONDS);
    assertThat(text.getStage()).isEqualTo("text");
    assertThat(engine.job(job.getId()).getStagesList())
        .filteredOn(s -> s.getName().equals("text"))
        .singleElement()
        .satisfies(s -> assertThat(s.getState()).isEqualTo(TaskState.TASK_STATE_LEASED));

    // the completion's answer could not be sent: the edge hands the task back
    engine.handBackUndelivered(text.getJobId(), text.getStage(), text.getLeaseToken());
    PollCall again = new PollCall(Integer.MAX_VALUE);
    engine.poll("w2", List.of("pdf.text"), Duration.ofSeconds(10), 1, 0, 0, "", null, again);
    OpaqueTask retaken = again.answer.get(10, TimeUnit.SECONDS);
    assertThat(retaken.getTaskId()).isEqualTo(text.getTaskId());
    assertThat(retaken.getAttempt()).isEqualTo(1);
    assertThat(retaken.getLeaseToken()).isNotEqualTo(text.getLeaseToken());
    assertThat(store.events(job.getId(), 0, 100))
        .anySatisfy(
            e -> {
              assertThat(e.getTaskStateChanged().getStage()).isEqualTo("text");
              assertThat(e.getTaskStateChanged().getError().getReason())
                  .isEqualTo("POLL_CANCELLED");
            });
  }
}
