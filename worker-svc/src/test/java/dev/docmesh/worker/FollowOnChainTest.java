package dev.docmesh.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.document.v1.DocumentText;
import dev.docmesh.proto.document.v1.PageText;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.document.v1.ValidationReport;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskRequest;
import dev.docmesh.proto.orchestrator.v1.FollowOn;
import dev.docmesh.proto.orchestrator.v1.FollowOnOutput;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import dev.docmesh.proto.processor.v1.UpstreamOutput;
import dev.docmesh.proto.worker.v1.DrainRequest;
import dev.docmesh.proto.worker.v1.GetWorkerStatusRequest;
import dev.docmesh.proto.worker.v1.WorkerState;
import dev.docmesh.worker.fakes.FakeProcessor;
import dev.docmesh.worker.fakes.FakeTaskQueue.Beat;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Follow-on stages (Task.follow_ons) run by the worker after its leased task, against a scripted
 * task queue and processor over real gRPC.
 */
class FollowOnChainTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final StageOutput TEXT =
      StageOutput.newBuilder()
          .setText(
              DocumentText.newBuilder()
                  .addPages(PageText.newBuilder().setPageNumber(1).setText("hello")))
          .build();
  private static final StageOutput RECHECKED =
      StageOutput.newBuilder()
          .setValidation(ValidationReport.newBuilder().setValid(true).setPageCount(7))
          .build();

  @RegisterExtension final FakeMesh.PerTest meshes = new FakeMesh.PerTest();

  @Test
  void runsTheFollowOnsInOrderOverTheTasksDocumentAndReportsThemWithItsCompletion() {
    FakeMesh mesh = meshes.start(Map.of("DOCMESH_WORKER_MAX_FOLLOW_ONS", "5"));
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    List<StageOutput> outputs = List.of(FakeProcessor.VALID, TEXT, RECHECKED);
    mesh.processor.behaviour =
        (request, out) -> answer(out, outputs.get(mesh.processor.requests.size() - 1));
    Task task =
        mesh.queue.offer(
            textThenRecheck(mesh)
                .setPassword("secret")
                .setTraceparent("00-" + traceId + "-00f067aa0ba902b7-01"),
            LEASE);
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);

    List<ProcessRequest> requests = mesh.processor.requests;
    assertThat(requests)
        .extracting(ProcessRequest::getProcessor)
        .containsExactly("pdf.validate", "pdf.text", "pdf.validate");
    assertThat(requests)
        .extracting(ProcessRequest::getOptionsMap)
        .containsExactly(Map.of(), Map.of("sort_by_position", "true"), Map.of("strict", "true"));
    assertThat(requests)
        .allSatisfy(
            r -> {
              assertThat(r.getContent().toString(StandardCharsets.UTF_8))
                  .isEqualTo("document of job 1");
              assertThat(r.getPassword()).isEqualTo("secret");
              assertThat(r.getMediaType()).isEqualTo("text/plain");
              assertThat(r.getFilename()).isEqualTo("doc.txt");
            });
    assertThat(requests.get(1).getUpstreamList())
        .containsExactly(upstream("validate", "pdf.validate", FakeProcessor.VALID));
    // in the order of the follow-on's `after`, not the order the stages ran
    assertThat(requests.get(2).getUpstreamList())
        .containsExactly(
            upstream("text", "pdf.text", TEXT),
            upstream("validate", "pdf.validate", FakeProcessor.VALID));
    assertThat(mesh.queue.documentReads).hasSize(1);
    assertThat(mesh.processor.traceparents)
        .hasSize(3)
        .allSatisfy(t -> assertThat(t).startsWith("00-" + traceId + "-"));

    CompleteTaskRequest completion = mesh.queue.completions.get(0);
    assertThat(completion.getTaskId()).isEqualTo(task.getTaskId());
    assertThat(completion.getLeaseToken()).isEqualTo(task.getLeaseToken());
    assertThat(completion.getOutput()).isEqualTo(FakeProcessor.VALID);
    assertThat(completion.getFollowOnOutputsList())
        .containsExactly(
            followOnOutput(task.getJobId() + "/text", TEXT),
            followOnOutput(task.getJobId() + "/recheck", RECHECKED));
    assertThat(completion.getLeaseNext().getMaxFollowOns()).isEqualTo(5);
    assertThat(mesh.queue.polls)
        .isNotEmpty()
        .allSatisfy(p -> assertThat(p.getMaxFollowOns()).isEqualTo(5));
    // the task and its follow-ons are counted once the run is over, follow-ons last
    await().atMost(WAIT).until(() -> mesh.followOns("pdf.validate", "completed") == 1);
    assertThat(mesh.followOns("pdf.text", "completed")).isEqualTo(1);
    assertThat(mesh.tasks("pdf.validate", "completed")).isEqualTo(1);
    assertThat(mesh.queue.failures).isEmpty();
  }

  @Test
  void aFailedFollowOnEndsTheChainAndTheTaskCompletesWithWhatFinishedBeforeIt() {
    FakeMesh mesh = meshes.start();
    mesh.processor.behaviour =
        (request, out) -> {
          switch (mesh.processor.requests.size()) {
            case 1 -> answer(out, FakeProcessor.VALID);
            case 2 -> answer(out, TEXT);
            default ->
                out.onError(Errors.withReason(Status.Code.INVALID_ARGUMENT, "BAD_OPTION", "no"));
          }
        };
    Task.Builder offered = textThenRecheck(mesh);
    offered.addFollowOns(followOn(offered, "last", "pdf.text", Map.of(), "recheck"));
    Task task = mesh.queue.offer(offered, LEASE);
    // the run is over once its failed follow-on is counted: a FailTask would have been sent by then
    await().atMost(WAIT).until(() -> mesh.followOns("pdf.validate", "failed") == 1);

    assertThat(mesh.queue.completions).hasSize(1);
    CompleteTaskRequest completion = mesh.queue.completions.get(0);
    assertThat(completion.getTaskId()).isEqualTo(task.getTaskId());
    assertThat(completion.getOutput()).isEqualTo(FakeProcessor.VALID);
    assertThat(completion.getFollowOnOutputsList())
        .containsExactly(followOnOutput(task.getJobId() + "/text", TEXT));
    assertThat(mesh.queue.failures).isEmpty();
    // the stage after the failed one was not tried
    assertThat(mesh.processor.requests).hasSize(3);
    assertThat(mesh.followOns("pdf.text", "completed")).isEqualTo(1);
    assertThat(mesh.tasks("pdf.validate", "completed")).isEqualTo(1);
    assertThat(mesh.queue.polls).allSatisfy(p -> assertThat(p.getMaxFollowOns()).isEqualTo(8));
  }

  @Test
  void aFollowOnRunsUnderItsOwnTimeoutNotTheTasks() {
    FakeMesh mesh = meshes.start();
    CountDownLatch started = new CountDownLatch(1);
    FakeProcessor.Behaviour hang = FakeProcessor.hangUntilCancelled(started);
    mesh.processor.behaviour =
        (request, out) -> {
          if (mesh.processor.requests.size() == 1) {
            answer(out, FakeProcessor.VALID);
          } else {
            hang.process(request, out);
          }
        };
    Task.Builder offered = mesh.task("pdf.validate", Duration.ofSeconds(60));
    offered.addFollowOns(
        followOn(offered, "text", "pdf.text", Map.of(), "stage")
            .setTimeout(com.google.protobuf.Duration.newBuilder().setNanos(300_000_000)));
    Task task = mesh.queue.offer(offered, LEASE);

    // with the task's 60 s deadline the hanging stage would outlast the wait
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);
    assertThat(mesh.queue.completions.get(0).getTaskId()).isEqualTo(task.getTaskId());
    assertThat(mesh.queue.completions.get(0).getFollowOnOutputsList()).isEmpty();
    await().atMost(WAIT).until(() -> mesh.followOns("pdf.text", "failed") == 1);
    assertThat(mesh.queue.failures).isEmpty();
  }

  @Test
  void noFollowOnRunsPastTheTasksOwnDeadline() {
    // the orchestrator times the task's attempt out at its own stage timeout, chain or not: a
    // follow-on allowed longer is cut short there, and the task completes in time
    FakeMesh mesh = meshes.start();
    CountDownLatch started = new CountDownLatch(1);
    FakeProcessor.Behaviour hang = FakeProcessor.hangUntilCancelled(started);
    mesh.processor.behaviour =
        (request, out) -> {
          if (mesh.processor.requests.size() == 1) {
            answer(out, FakeProcessor.VALID);
          } else {
            hang.process(request, out);
          }
        };
    Task.Builder offered = mesh.task("pdf.validate", Duration.ofMillis(1500));
    offered.addFollowOns(
        followOn(offered, "text", "pdf.text", Map.of(), "stage")
            .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(600)));
    Task task = mesh.queue.offer(offered, LEASE);

    // with the follow-on's own 600 s the hanging stage would outlast the wait
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);
    assertThat(mesh.queue.completions.get(0).getTaskId()).isEqualTo(task.getTaskId());
    assertThat(mesh.queue.completions.get(0).getFollowOnOutputsList()).isEmpty();
    await().atMost(WAIT).until(() -> mesh.followOns("pdf.text", "failed") == 1);
    assertThat(mesh.queue.failures).isEmpty();
  }

  @Test
  void followOnProgressTravelsOnTheTasksHeartbeatNamingItsStage() throws Exception {
    FakeMesh mesh = meshes.start();
    CountDownLatch ownBeat = new CountDownLatch(1);
    CountDownLatch followOnBeat = new CountDownLatch(1);
    mesh.processor.behaviour =
        (request, out) -> {
          boolean own = mesh.processor.requests.size() == 1;
          out.onNext(own ? FakeProcessor.progress(2, 3) : FakeProcessor.progress(1, 10));
          // a processor still working while the test looks at the beats its progress became
          (own ? ownBeat : followOnBeat).await(20, TimeUnit.SECONDS);
          answer(out, own ? FakeProcessor.VALID : TEXT);
        };
    Task.Builder offered = mesh.task("pdf.validate", Duration.ofSeconds(30));
    offered.addFollowOns(followOn(offered, "text", "pdf.text", Map.of(), "stage"));
    Task task = mesh.queue.offer(offered, LEASE);

    await().atMost(WAIT).until(() -> progressBeats(mesh).size() == 1);
    ownBeat.countDown();
    await().atMost(WAIT).until(() -> progressBeats(mesh).size() == 2);
    // the slot is still the leased task's while its follow-on runs
    assertThat(
            mesh.control
                .getWorkerStatus(GetWorkerStatusRequest.getDefaultInstance())
                .getStatus()
                .getActiveTasksList())
        .singleElement()
        .satisfies(a -> assertThat(a.getTaskId()).isEqualTo(task.getTaskId()));
    followOnBeat.countDown();
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);

    List<Beat> beats = progressBeats(mesh);
    assertThat(beats)
        .allSatisfy(
            b -> {
              assertThat(b.request().getTaskId()).isEqualTo(task.getTaskId());
              assertThat(b.request().getLeaseToken()).isEqualTo(task.getLeaseToken());
            });
    assertThat(beats.get(0).request().getProgressStage()).isEmpty();
    assertThat(beats.get(0).request().getProgress().getDone()).isEqualTo(2);
    assertThat(beats.get(1).request().getProgressStage()).isEqualTo("text");
    assertThat(beats.get(1).request().getProgress().getDone()).isEqualTo(1);
    assertThat(beats.get(1).request().getProgress().getTotal()).isEqualTo(10);
  }

  @Test
  void handedBackMidChainTheTaskCompletesWithTheFollowOnsFinishedSoFar() throws Exception {
    FakeMesh mesh = meshes.start();
    CountDownLatch started = new CountDownLatch(1);
    FakeProcessor.Behaviour hang = FakeProcessor.hangUntilCancelled(started);
    mesh.processor.behaviour =
        (request, out) -> {
          switch (mesh.processor.requests.size()) {
            case 1 -> answer(out, FakeProcessor.VALID);
            case 2 -> answer(out, TEXT);
            default -> hang.process(request, out);
          }
        };
    Task task = mesh.queue.offer(textThenRecheck(mesh), LEASE);
    assertThat(started.await(15, TimeUnit.SECONDS)).isTrue();

    mesh.control.drain(
        DrainRequest.newBuilder()
            .setGrace(com.google.protobuf.Duration.newBuilder().setNanos(200_000_000))
            .build());
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);
    // a finished result beats handing the task back
    CompleteTaskRequest completion = mesh.queue.completions.get(0);
    assertThat(completion.getTaskId()).isEqualTo(task.getTaskId());
    assertThat(completion.getOutput()).isEqualTo(FakeProcessor.VALID);
    assertThat(completion.getFollowOnOutputsList())
        .containsExactly(followOnOutput(task.getJobId() + "/text", TEXT));
    await().atMost(WAIT).until(() -> mesh.processor.cancelledCalls.get() == 1);
    await().atMost(WAIT).until(() -> mesh.followOns("pdf.validate", "handed_back") == 1);
    assertThat(mesh.queue.failures).isEmpty();
    assertThat(mesh.tasks("pdf.validate", "completed")).isEqualTo(1);
  }

  @Test
  void aDrainingWorkerStartsNoFurtherFollowOn() throws Exception {
    FakeMesh mesh = meshes.start();
    CountDownLatch textRunning = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    mesh.processor.behaviour =
        (request, out) -> {
          if (mesh.processor.requests.size() == 1) {
            answer(out, FakeProcessor.VALID);
          } else {
            textRunning.countDown();
            release.await(20, TimeUnit.SECONDS);
            answer(out, TEXT);
          }
        };
    Task task = mesh.queue.offer(textThenRecheck(mesh), LEASE);
    assertThat(textRunning.await(15, TimeUnit.SECONDS)).isTrue();

    mesh.control.drain(
        DrainRequest.newBuilder()
            .setGrace(com.google.protobuf.Duration.newBuilder().setSeconds(10))
            .build());
    release.countDown();
    await()
        .atMost(WAIT)
        .until(
            () ->
                mesh.control
                        .getWorkerStatus(GetWorkerStatusRequest.getDefaultInstance())
                        .getStatus()
                        .getState()
                    == WorkerState.WORKER_STATE_DRAINED);
    assertThat(mesh.processor.requests).hasSize(2);
    assertThat(mesh.queue.completions).hasSize(1);
    assertThat(mesh.queue.completions.get(0).getFollowOnOutputsList())
        .containsExactly(followOnOutput(task.getJobId() + "/text", TEXT));
    assertThat(mesh.queue.failures).isEmpty();
  }

  @Test
  void aCancelledJobStopsTheChainAndReportsNothing() throws Exception {
    FakeMesh mesh = meshes.start(Map.of("DOCMESH_WORKER_PROGRESS_INTERVAL", "10ms"));
    CountDownLatch started = new CountDownLatch(1);
    FakeProcessor.Behaviour hang = FakeProcessor.hangUntilCancelled(started);
    mesh.processor.behaviour =
        (request, out) -> {
          if (mesh.processor.requests.size() == 1) {
            answer(out, FakeProcessor.VALID);
          } else {
            hang.process(request, out);
          }
        };
    mesh.queue.offer(textThenRecheck(mesh), Duration.ofMillis(1500));
    assertThat(started.await(15, TimeUnit.SECONDS)).isTrue();

    mesh.queue.cancelRequested = true;
    await().atMost(WAIT).until(() -> mesh.processor.cancelledCalls.get() == 1);
    await().atMost(WAIT).until(() -> mesh.followOns("pdf.text", "cancelled") == 1);
    assertThat(mesh.tasks("pdf.validate", "cancelled")).isEqualTo(1);
    assertThat(mesh.processor.requests).hasSize(2);
    assertThat(mesh.queue.completeAttempts).isEmpty();
    assertThat(mesh.queue.failures).isEmpty();
  }

  @Test
  void runsNoMoreFollowOnsThanItAskedFor() {
    FakeMesh mesh = meshes.start(Map.of("DOCMESH_WORKER_MAX_FOLLOW_ONS", "1"));
    mesh.processor.behaviour =
        (request, out) ->
            answer(out, mesh.processor.requests.size() == 1 ? FakeProcessor.VALID : TEXT);
    Task task = mesh.queue.offer(textThenRecheck(mesh), LEASE);
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);

    assertThat(mesh.processor.requests).hasSize(2);
    assertThat(mesh.queue.completions.get(0).getFollowOnOutputsList())
        .containsExactly(followOnOutput(task.getJobId() + "/text", TEXT));
    assertThat(mesh.queue.polls).allSatisfy(p -> assertThat(p.getMaxFollowOns()).isEqualTo(1));
  }

  /**
   * A pdf.validate task at stage "validate" offered with "text" (pdf.text) after it, then "recheck"
   * (pdf.validate) after both.
   */
  private static Task.Builder textThenRecheck(FakeMesh mesh) {
    Task.Builder task = mesh.task("pdf.validate", Duration.ofSeconds(30));
    task.setStage("validate").setTaskId(task.getJobId() + "/validate");
    return task.addFollowOns(
            followOn(task, "text", "pdf.text", Map.of("sort_by_position", "true"), "validate"))
        .addFollowOns(
            followOn(
                task, "recheck", "pdf.validate", Map.of("strict", "true"), "text", "validate"));
  }

  private static FollowOn.Builder followOn(
      Task.Builder task,
      String stage,
      String processor,
      Map<String, String> options,
      String... after) {
    return FollowOn.newBuilder()
        .setTaskId(task.getJobId() + "/" + stage)
        .setStage(stage)
        .setProcessor(processor)
        .putAllOptions(options)
        .addAllAfter(List.of(after));
  }

  private static void answer(ServerCallStreamObserver<ProcessResponse> out, StageOutput output) {
    out.onNext(ProcessResponse.newBuilder().setResult(output).build());
    out.onCompleted();
  }

  private static UpstreamOutput upstream(String stage, String processor, StageOutput output) {
    return UpstreamOutput.newBuilder()
        .setStage(stage)
        .setProcessor(processor)
        .setOutput(output)
        .build();
  }

  private static FollowOnOutput followOnOutput(String taskId, StageOutput output) {
    return FollowOnOutput.newBuilder().setTaskId(taskId).setOutput(output).build();
  }

  private static List<Beat> progressBeats(FakeMesh mesh) {
    return mesh.queue.heartbeats.stream().filter(b -> b.request().hasProgress()).toList();
  }
}
