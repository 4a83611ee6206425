package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import dev.docmesh.proto.orchestrator.v1.WatchJobsRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobsResponse;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
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
  static final class SlowReader
      implements ClientResponseObserver<WatchJobRequest, WatchJobResponse> {
    final List<JobEvent> events = new CopyOnWriteArrayList<>();
    final CountDownLatch done = new CountDownLatch(1);
    volatile ClientCallStreamObserver<WatchJobRequest> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchJobRequest> c) {
      call = c;
      c.disableAutoRequestWithInitial(1);
    }

    @Override
    public void onNext(WatchJobResponse r) {
      events.add(r.getEvent());
    }

    @Override
    public void onError(Throwable t) {
      done.countDown();
    }

    @Override
    public void onCompleted() {
      done.countDown();
    }
  }

  /**
   * The client's HTTP/2 receive window: small, so a reader that stops reading stops the server
   * soon.
   */
  private static final int CLIENT_WINDOW = 16 * 1024;

  @Test
  void aStalledReaderStopsTheServerGetsProgressMergedAndEverythingInOrderAfterwards()
      throws Exception {
    Job job = orch.submitPdf();
    ManagedChannel small =
        NettyChannelBuilder.forAddress("127.0.0.1", orch.server.grpcPort())
            .usePlaintext()
            .flowControlWindow(CLIENT_WINDOW)
            .build();
    try {
      SlowReader slow = new SlowReader();
      OrchestratorServiceGrpc.newStub(small)
          .watchJob(WatchJobRequest.newBuilder().setJobId(job.getId()).build(), slow);
      await().atMost(Duration.ofSeconds(5)).until(() -> slow.events.size() == 1);

      ScriptedWorker w = orch.worker("w");
      Task t = w.poll();
      int beats = 2000;
      for (int i = 1; i <= beats; i++) {
        w.heartbeat(
            t,
            Progress.newBuilder()
                .setDone(i)
                .setTotal(beats)
                .setUnit("page")
                .setMessage("page " + i + " of " + beats)
                .build());
      }
      w.complete(t);
      for (int i = 0; i < 4; i++) {
        w.complete(w.poll());
      }
      // Over 2000 events (~100 bytes each) were committed while the reader read nothing. A server
      // that
      // kept producing would hand all of them to the transport; one that waits for isReady stops
      // once the
      // client's window (16 KiB) and its own send buffer (grpc's 32 KiB onReady threshold) are
      // full: a few
      // hundred messages. Half the beats is far above that and far below "everything".
      await()
          .during(Duration.ofMillis(500))
          .atMost(Duration.ofSeconds(10))
          .until(() -> watchJobMessagesSent() < beats / 2);
      double sentWhileStalled = watchJobMessagesSent();
      assertThat(sentWhileStalled)
          .as("messages the server produced for the stalled reader")
          .isGreaterThan(1);

      slow.call.request(Integer.MAX_VALUE);
      assertThat(slow.done.await(20, TimeUnit.SECONDS)).isTrue();

      EventCollector all = new EventCollector();
      orch.asyncClient.watchJob(WatchJobRequest.newBuilder().setJobId(job.getId()).build(), all);
      assertThat(all.awaitDone()).isTrue();
      // progress is not stored: a replay holds the state changes alone, numbered 1, 2, 3, ...
      assertThat(all.events).noneMatch(JobEvent::hasTaskProgressed);
      List<JobEvent> stateChanges = all.events;
      assertThat(stateChanges)
          .extracting(JobEvent::getSequence)
          .containsExactlyElementsOf(
              java.util.stream.LongStream.rangeClosed(1, stateChanges.size()).boxed().toList());
      // in order afterwards: every state change, exactly as stored, then the end
      assertThat(slow.events.stream().filter(e -> !e.hasTaskProgressed()).toList())
          .containsExactlyElementsOf(stateChanges);
      // a progress event carries the sequence of the stored event it follows
      long lastStored = 0;
      for (JobEvent e : slow.events) {
        if (e.hasTaskProgressed()) {
          assertThat(e.getSequence()).isEqualTo(lastStored);
        } else {
          lastStored = e.getSequence();
        }
      }
      assertThat(slow.events.get(slow.events.size() - 1).getJobStateChanged().getTo())
          .isEqualTo(JobState.JOB_STATE_SUCCEEDED);
      // merged while stalled: far fewer progress events than were committed, the newest never
      // merged away
      long progressSeen = slow.events.stream().filter(JobEvent::hasTaskProgressed).count();
      assertThat(progressSeen).as("progress events the stalled reader got").isLessThan(beats / 2);
      assertThat(slow.events)
          .anyMatch(
              e -> e.hasTaskProgressed() && e.getTaskProgressed().getProgress().getDone() == beats);
    } finally {
      small.shutdownNow();
    }
  }

  private double watchJobMessagesSent() throws Exception {
    return orch.metrics()
        .lines()
        .filter(
            l ->
                l.startsWith("grpc_server_msg_sent_total{")
                    && l.contains("grpc_method=\"WatchJob\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  @Test
  void firehoseSendsMatchingJobsEventsWithTheJob() throws Exception {
    List<WatchJobsResponse> got = new CopyOnWriteArrayList<>();
    Context.CancellableContext ctx = Context.current().withCancellation();
    ctx.run(
        () ->
            orch.asyncClient.watchJobs(
                WatchJobsRequest.newBuilder().putLabels("team", "blue").build(),
                new StreamObserver<>() {
                  @Override
                  public void onNext(WatchJobsResponse r) {
                    got.add(r);
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                }));
    try {
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> orch.metrics().contains("docmesh_active_watchers 1.0"));
      Job blue =
          orch.submit(
              SubmitJobRequest.newBuilder()
                  .setContent(ByteString.copyFrom(TestOrchestrator.PDF))
                  .putLabels("team", "blue")
                  .build());
      orch.submit(
          SubmitJobRequest.newBuilder()
              .setContent(ByteString.copyFrom(TestOrchestrator.PDF))
              .putLabels("team", "red")
              .build());
      ScriptedWorker w = orch.worker("w");
      Task t = w.poll();
      while (!t.getJobId().equals(blue.getId())) {
        t = w.poll();
      }
      w.heartbeat(t, Progress.newBuilder().setDone(1).setTotal(2).build());
      w.complete(t);
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  got.stream()
                      .anyMatch(
                          r ->
                              r.getEvent().hasTaskStateChanged()
                                  && r.getEvent()
                                      .getTaskStateChanged()
                                      .getStage()
                                      .equals("validate")
                                  && r.getEvent().getTaskStateChanged().getTo()
                                      == dev.docmesh.proto.orchestrator.v1.TaskState
                                          .TASK_STATE_SUCCEEDED));
      assertThat(got)
          .allSatisfy(
              r -> {
                assertThat(r.getEvent().getJobId()).isEqualTo(blue.getId());
                assertThat(r.getJob().getId()).isEqualTo(blue.getId());
                assertThat(r.getEvent().hasTaskProgressed())
                    .as("progress only when asked for")
                    .isFalse();
              });
      assertThat(got.get(0).getEvent().getJobStateChanged().getTo())
          .isEqualTo(JobState.JOB_STATE_QUEUED);
      assertThat(got).extracting(r -> r.getEvent().getSequence()).isSorted();
    } finally {
      ctx.cancel(null);
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> orch.metrics().contains("docmesh_active_watchers 0.0"));
  }
}
