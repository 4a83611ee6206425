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
import dev.docmesh.proto.processor.v1.ProcessStep;
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
 * Follow-on stages (Task.follow_ons) run by the worker as the steps of its leased task's Process
 * call, against a scripted task queue and processor over real gRPC.
 */
class FollowOnChainTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final com.google.protobuf.Duration MINUTE =
      com.google.protobuf.Duration.newBuilder().setSeconds(60).build();
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
  void runsTheFollowOnsAsStepsOfTheTasksProcessCallAndReportsThemWithItsCompletion() {
    FakeMesh mesh = meshes.start(Map.of("DOCMESH_WORKER_MAX_FOLLOW_ONS", "5"));
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    mesh.processor.behaviour =
        (request, out) -> {
          result(out, "", FakeProcessor.VALID);
          result(out, "text", TEXT);
          result(out, "recheck", RECHECKED);
          out.onCompleted();
        };
    Task task =
        mesh.queue.offer(
            textThenRecheck(mesh)
                .setPassword("secret")
                .setTraceparent("00-" + traceId + "-00f067aa0ba902b7-01"),
            LEASE);
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);

    // one call: the document goes to the processor once, the follow-ons as its steps
    ProcessRequest request = mesh.processor.requests.get(0);
    assertThat(mesh.processor.requests).hasSize(1);
    assertThat(request.getProcessor()).isEqualTo("pdf.validate");
    assertThat(request.getStage()).isEqualTo("validate");
    assertThat(request.getContent().toString(StandardCharsets.UTF_8))
        .isEqualTo("document of job 1");
    assertThat(request.getPassword()).isEqualTo("secret");
    assertThat(request.getThenList())
        .containsExactly(
            ProcessStep.newBuilder()
                .setStage("text")
                .setProcessor("pdf.text")
                .putOptions("sort_by_position", "true")
                .addAfter("validate")
                .setTimeout(MINUTE)
                .build(),
            ProcessStep.newBuilder()
                .setStage("recheck")
                .setProcessor("pdf.validate")
                .putOptions("strict", "true")
                .addAfter("text")
                .addAfter("validate")
                .setTimeout(MINUTE)
                .build());
    assertThat(mesh.queue.documentReads).hasSize(1);
    assertThat(mesh.processor.traceparents)
        .singleElement()
        .satisfies(t -> assertThat(t).startsWith("00-" + traceId + "-"));

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
  void aFailedStepEndsTheChainAndTheTaskCompletesWithWhatFinishedBeforeIt() {
    FakeMesh mesh = meshes.start();
    mesh.processor.behaviour =
        (request, out) -> {
          result(out, "", FakeProcessor.VALID);
          result(out, "text", TEXT);
          out.onError(Errors.withReason(Status.Code.INVALID_ARGUMENT, "BAD_OPTION", "no"));
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
    assertThat(mesh.processor.requests).hasSize(1); // a failed step is not retried here
    assertThat(mesh.followOns("pdf.text", "completed")).isEqualTo(1);
    assertThat(mesh.followOns("pdf.text", "failed")).isZero(); // "last" was never started
    assertThat(mesh.tasks("pdf.validate", "completed")).isEqualTo(1);
    assertThat(mesh.queue.polls).allSatisfy(p -> assertThat(p.getMaxFollowOns()).isEqualTo(8));
  }

  @Test
  void aFailureBeforeTheTasksOwnResultFailsTheTaskAndRunsNoFollowOn() {
    FakeMesh mesh = meshes.start();
    mesh.processor.behaviour =
        (request, out) ->
            out.onError(Errors.withReason(Status.Code.INVALID_ARGUMENT, "NOT_A_PDF", "no"));
    Task task = mesh.queue.offer(textThenRecheck(mesh), LEASE);
    await().atMost(WAIT).until(() -> mesh.queue.failures.size() == 1);
    assertThat(mesh.queue.failures.get(0).getTaskId()).isEqualTo(task.getTaskId());
    assertThat(mesh.queue.completeAttempts).isEmpty();
    assertThat(mesh.followOns("pdf.text", "failed")).isZero();
  }

  @Test
  void theTasksDeadlineBoundsItsStepsToo() {
    // the orchestrator times the task's attempt out at its own stage timeout, chain or not: the
    // call ends there whatever a step may take, and the task completes in time
    FakeMesh mesh = meshes.start();
    CountDownLatch started = new CountDownLatch(1);
    mesh.processor.behaviour =
        (request, out) -> {
          result(out, "", FakeProcessor.VALID);
          FakeProcessor.hangUntilCancelled(started).process(request, out);
        };
    Task.Builder offered = mesh.task("pdf.validate", Duration.ofMillis(1500));
    offered.addFollowOns(
        followOn(offered, "text", "pdf.text", Map.of(), "stage")
            .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(600)));
    Task task = mesh.queue.offer(offered, LEASE);

    // with the step's own 600 s the hanging stage would outlast the wait
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);
    assertThat(mesh.processor.requests.get(0).getThen(0).getTimeout().getSeconds()).isEqualTo(600);
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
          out.onNext(FakeProcessor.progress(2, 3));
          // a processor still working while the test looks at the beats its progress became
          ownBeat.await(20, TimeUnit.SECONDS);
          result(out, "", FakeProcessor.VALID);
          out.onNext(FakeProcessor.progress(1, 10).toBuilder().setStage("text").build());
          followOnBeat.await(20, TimeUnit.SECONDS);
          result(out, "text", TEXT);
          out.onCompleted();
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
    assertThat(mesh.queue.completions.get(0).getFollowOnOutputsList())
        .containsExactly(followOnOutput(task.getJobId() + "/text", TEXT));
  }

  @Test
  void handedBackMidChainTheTaskCompletesWithTheFollowOnsFinishedSoFar() throws Exception {
    FakeMesh mesh = meshes.start();
    CountDownLatch started = new CountDownLatch(1);
    mesh.processor.behaviour =
        (request, out) -> {
          result(out, "", FakeProcessor.VALID);
          result(out, "text", TEXT);
          FakeProcessor.hangUntilCancelled(started).process(request, out);
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
  void aDrainingWorkerTakesNoFurtherStepAndDeliversAtOnce() throws Exception {
    FakeMesh mesh = meshes.start();
    CountDownLatch textRunning = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch cancelled = new CountDownLatch(1);
    mesh.processor.behaviour =
        (request, out) -> {
          io.grpc.Context.current().addListener(c -> cancelled.countDown(), Runnable::run);
          result(out, "", FakeProcessor.VALID);
          textRunning.countDown();
          release.await(20, TimeUnit.SECONDS);
          result(out, "text", TEXT);
          // the worker cancels the call on that result; "recheck" would come only after it
          if (cancelled.await(20, TimeUnit.SECONDS)) {
            return;
          }
          result(out, "recheck", RECHECKED);
          out.onCompleted();
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
    assertThat(cancelled.getCount()).isZero();
    assertThat(mesh.queue.completions).hasSize(1);
    assertThat(mesh.queue.completions.get(0).getFollowOnOutputsList())
        .containsExactly(followOnOutput(task.getJobId() + "/text", TEXT));
    assertThat(mesh.queue.failures).isEmpty();
  }

  @Test
  void aCancelledJobStopsTheChainAndReportsNothing() throws Exception {
    FakeMesh mesh = meshes.start(Map.of("DOCMESH_WORKER_PROGRESS_INTERVAL", "10ms"));
    CountDownLatch started = new CountDownLatch(1);
    mesh.processor.behaviour =
        (request, out) -> {
          result(out, "", FakeProcessor.VALID);
          FakeProcessor.hangUntilCancelled(started).process(request, out);
        };
    mesh.queue.offer(textThenRecheck(mesh), Duration.ofMillis(1500));
    assertThat(started.await(15, TimeUnit.SECONDS)).isTrue();

    mesh.queue.cancelRequested = true;
    await().atMost(WAIT).until(() -> mesh.processor.cancelledCalls.get() == 1);
    await().atMost(WAIT).until(() -> mesh.followOns("pdf.text", "cancelled") == 1);
    assertThat(mesh.tasks("pdf.validate", "cancelled")).isEqualTo(1);
    assertThat(mesh.processor.requests).hasSize(1);
    assertThat(mesh.queue.completeAttempts).isEmpty();
    assertThat(mesh.queue.failures).isEmpty();
  }

  @Test
  void asksForNoMoreStepsThanItsMaximum() {
    FakeMesh mesh = meshes.start(Map.of("DOCMESH_WORKER_MAX_FOLLOW_ONS", "1"));
    mesh.processor.behaviour =
        (request, out) -> {
          result(out, "", FakeProcessor.VALID);
          result(out, "text", TEXT);
          out.onCompleted();
        };
    Task task = mesh.queue.offer(textThenRecheck(mesh), LEASE);
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);

    assertThat(mesh.processor.requests.get(0).getThenList())
        .extracting(ProcessStep::getStage)
        .containsExactly("text");
    assertThat(mesh.queue.completions.get(0).getFollowOnOutputsList())
        .containsExactly(followOnOutput(task.getJobId() + "/text", TEXT));
    assertThat(mesh.queue.polls).allSatisfy(p -> assertThat(p.getMaxFollowOns()).isEqualTo(1));
  }

  @Test
  void aProcessorThatRunsNoStepsStillCompletesTheTask() {
    // one that predates steps answers the task alone: its follow-ons then run as tasks
    FakeMesh mesh = meshes.start();
    mesh.processor.behaviour = FakeProcessor::answerValid;
    Task task = mesh.queue.offer(textThenRecheck(mesh), LEASE);
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);
    assertThat(mesh.queue.completions.get(0).getTaskId()).isEqualTo(task.getTaskId());
    assertThat(mesh.queue.completions.get(0).getFollowOnOutputsList()).isEmpty();
    await().atMost(WAIT).until(() -> mesh.tasks("pdf.validate", "completed") == 1);
    assertThat(mesh.followOns("pdf.text", "failed")).isZero();
    assertThat(mesh.queue.failures).isEmpty();
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
        .addAllAfter(List.of(after))
        .setTimeout(MINUTE);
  }

  /** A result of the call: the task's own ({@code stage} empty) or a step's. */
  private static void result(
      ServerCallStreamObserver<ProcessResponse> out, String stage, StageOutput output) {
    out.onNext(ProcessResponse.newBuilder().setResult(output).setStage(stage).build());
  }

  private static FollowOnOutput followOnOutput(String taskId, StageOutput output) {
    return FollowOnOutput.newBuilder().setTaskId(taskId).setOutput(output).build();
  }

  private static List<Beat> progressBeats(FakeMesh mesh) {
    return mesh.queue.heartbeats.stream().filter(b -> b.request().hasProgress()).toList();
  }
}
