package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import dev.docmesh.proto.orchestrator.v1.WatchJobsRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobsResponse;
import io.grpc.Context;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** WatchJob under a reader that stops reading, and the WatchJobs firehose. */
class WatchStreamsTest {
  @RegisterExtension final TestOrchestrator orch = TestOrchestrator.perTest();

  /** A reader that takes messages only when the test says so. */
  static final class SlowReader implements ClientResponseObserver<WatchJobRequest, WatchJobResponse> {
    final List<JobEvent> events = new CopyOnWriteArrayList<>();
    final CountDownLatch done = new CountDownLatch(1);
    volatile ClientCallStreamObserver<WatchJobRequest> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchJobRequest> c) {
      call = c;
      c.disableAutoRequestWithInitial(1);
    }

    @Override public void onNext(WatchJobResponse r) { events.add(r.getEvent()); }
    @Override public void onError(Throwable t) { done.countDown(); }
    @Override public void onCompleted() { done.countDown(); }
  }

  @Test
  void aReaderThatStallsStillGetsEveryStateChangeInOrderAndTheEnd() throws Exception {
    Job job = orch.submitPdf();
    SlowReader slow = new SlowReader();
    orch.asyncClient.watchJob(WatchJobRequest.newBuilder().setJobId(job.getId()).build(), slow);
    await().atMost(Duration.ofSeconds(5)).until(() -> slow.events.size() == 1);

    ScriptedWorker w = orch.worker("w");
    Task t = w.poll();
    int beats = 2000;
    for (int i = 1; i <= beats; i++) {
      w.heartbeat(t, Progress.newBuilder().setDone(i).setTotal(beats).setUnit("page").setMessage("page " + i + " of " + beats).build());
    }
    w.complete(t);
    for (int i = 0; i < 4; i++) {
      w.complete(w.poll());
    }
    assertThat(slow.events).as("the stalled reader was sent nothing more").hasSize(1);

    slow.call.request(Integer.MAX_VALUE);
    assertThat(slow.done.await(20, TimeUnit.SECONDS)).isTrue();

    EventCollector all = new EventCollector();
    orch.asyncClient.watchJob(WatchJobRequest.newBuilder().setJobId(job.getId()).build(), all);
    assertThat(all.awaitDone()).isTrue();
    List<JobEvent> stateChanges = all.events.stream().filter(e -> !e.hasTaskProgressed()).toList();
    assertThat(slow.events.stream().filter(e -> !e.hasTaskProgressed()).toList()).containsExactlyElementsOf(stateChanges);
    assertThat(slow.events).extracting(JobEvent::getSequence).isSorted().doesNotHaveDuplicates();
    assertThat(slow.events.get(slow.events.size() - 1).getJobStateChanged().getTo()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    // the newest progress is never coalesced away
    assertThat(slow.events).anyMatch(e -> e.hasTaskProgressed() && e.getTaskProgressed().getProgress().getDone() == beats);
  }

  @Test
  void firehoseSendsMatchingJobsEventsWithTheJob() throws Exception {
    List<WatchJobsResponse> got = new CopyOnWriteArrayList<>();
    Context.CancellableContext ctx = Context.current().withCancellation();
    ctx.run(() -> orch.asyncClient.watchJobs(WatchJobsRequest.newBuilder().putLabels("team", "blue").build(),
        new StreamObserver<>() {
          @Override public void onNext(WatchJobsResponse r) { got.add(r); }
          @Override public void onError(Throwable t) { }
          @Override public void onCompleted() { }
        }));
    try {
      await().atMost(Duration.ofSeconds(5)).until(() -> orch.metrics().contains("docmesh_active_watchers 1.0"));
      Job blue = orch.submit(SubmitJobRequest.newBuilder().setContent(ByteString.copyFrom(TestOrchestrator.PDF)).putLabels("team", "blue").build());
      orch.submit(SubmitJobRequest.newBuilder().setContent(ByteString.copyFrom(TestOrchestrator.PDF)).putLabels("team", "red").build());
      ScriptedWorker w = orch.worker("w");
      Task t = w.poll();
      while (!t.getJobId().equals(blue.getId())) {
        t = w.poll();
      }
      w.heartbeat(t, Progress.newBuilder().setDone(1).setTotal(2).build());
      w.complete(t);
      await().atMost(Duration.ofSeconds(5)).until(() -> got.stream().anyMatch(r ->
          r.getEvent().hasTaskStateChanged() && r.getEvent().getTaskStateChanged().getStage().equals("validate")
              && r.getEvent().getTaskStateChanged().getTo() == dev.docmesh.proto.orchestrator.v1.TaskState.TASK_STATE_SUCCEEDED));
      assertThat(got).allSatisfy(r -> {
        assertThat(r.getEvent().getJobId()).isEqualTo(blue.getId());
        assertThat(r.getJob().getId()).isEqualTo(blue.getId());
        assertThat(r.getEvent().hasTaskProgressed()).as("progress only when asked for").isFalse();
      });
      assertThat(got.get(0).getEvent().getJobStateChanged().getTo()).isEqualTo(JobState.JOB_STATE_QUEUED);
      assertThat(got).extracting(r -> r.getEvent().getSequence()).isSorted();
    } finally {
      ctx.cancel(null);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> orch.metrics().contains("docmesh_active_watchers 0.0"));
  }
}
