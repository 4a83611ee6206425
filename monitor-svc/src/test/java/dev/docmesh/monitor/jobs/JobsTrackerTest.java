package dev.docmesh.monitor.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.WatchJobsRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobsResponse;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's jobs feed against a fake orchestrator (in-process: a unit test of the tracker).
 */
class JobsTrackerTest {
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private Server server;
  private JobsTracker tracker;

  @AfterEach
  void stop() {
    if (tracker != null) {
      tracker.close();
    }
    server.shutdownNow();
    scheduler.shutdownNow();
  }

  private JobsTracker track(OrchestratorServiceGrpc.OrchestratorServiceImplBase fake)
      throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(fake).build().start();
    tracker =
        new JobsTracker(InProcessChannelBuilder.forName(name).directExecutor().build(), scheduler);
    tracker.start();
    return tracker;
  }

  private static WatchJobsResponse event(String id, JobState state, double progress) {
    return WatchJobsResponse.newBuilder()
        .setJob(
            Job.newBuilder()
                .setId(id)
                .setState(state)
                .setPipeline("pdf-standard")
                .setProgressPercent(progress))
        .build();
  }

  @Test
  void keepsActiveJobsWithTheirLatestProgressAndDropsFinishedOnes() throws Exception {
    AtomicReference<StreamObserver<WatchJobsResponse>> stream = new AtomicReference<>();
    AtomicReference<WatchJobsRequest> asked = new AtomicReference<>();
    track(
        new OrchestratorServiceGrpc.OrchestratorServiceImplBase() {
          @Override
          public void watchJobs(
              WatchJobsRequest request, StreamObserver<WatchJobsResponse> response) {
            asked.set(request);
            stream.set(response);
          }
        });
    await().atMost(Duration.ofSeconds(5)).until(() -> stream.get() != null);
    assertThat(asked.get().getIncludeProgress()).isTrue();

    stream.get().onNext(event("job-a", JobState.JOB_STATE_QUEUED, 0));
    stream.get().onNext(event("job-b", JobState.JOB_STATE_RUNNING, 20));
    stream.get().onNext(event("job-b", JobState.JOB_STATE_RUNNING, 60));
    stream.get().onNext(event("job-a", JobState.JOB_STATE_SUCCEEDED, 100));

    JobsTracker.Feed feed = tracker.feed();
    assertThat(feed.connected()).isTrue();
    assertThat(feed.jobs())
        .singleElement()
        .satisfies(
            j -> {
              assertThat(j.getId()).isEqualTo("job-b");
              assertThat(j.getProgressPercent()).isEqualTo(60);
            });
    assertThat(tracker.activeJobs()).isEqualTo(1);
  }

  @Test
  void orchestratorWithoutWatchJobsIsShownAndRetriedNotAnError() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    track(
        new OrchestratorServiceGrpc.OrchestratorServiceImplBase() {
          @Override
          public void watchJobs(
              WatchJobsRequest request, StreamObserver<WatchJobsResponse> response) {
            calls.incrementAndGet();
            super.watchJobs(request, response); // UNIMPLEMENTED
          }
        });

    await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() >= 2);
    JobsTracker.Feed feed = tracker.feed();
    assertThat(feed.jobs()).isEmpty();
    assertThat(tracker.activeJobs()).isZero();
    await().atMost(Duration.ofSeconds(5)).until(() -> !tracker.feed().connected());
    assertThat(tracker.feed().problem()).startsWith("UNIMPLEMENTED");
  }
}
