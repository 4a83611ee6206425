package dev.docmesh.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.document.v1.ValidationReport;
import dev.docmesh.proto.orchestrator.v1.FailTaskRequest;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import dev.docmesh.proto.processor.v1.UpstreamOutput;
import dev.docmesh.proto.worker.v1.GetWorkerStatusRequest;
import dev.docmesh.worker.fakes.FakeProcessor;
import dev.docmesh.worker.fakes.FakeTaskQueue.Beat;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The worker's task loop against a scripted task queue and processor over real gRPC. */
class WorkerLoopTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  @RegisterExtension final FakeMesh.PerTest meshes = new FakeMesh.PerTest();
  private FakeMesh mesh;

  @Test
  void runsTaskWithDocumentUpstreamAndTraceContextThenCompletes() {
    mesh = meshes.start();
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    String parentSpan = "00f067aa0ba902b7";
    UpstreamOutput upstream =
        UpstreamOutput.newBuilder()
            .setStage("validate")
            .setProcessor("pdf.validate")
            .setOutput(
                StageOutput.newBuilder()
                    .setValidation(ValidationReport.newBuilder().setValid(true)))
            .build();
    StageOutput text =
        StageOutput.newBuilder()
            .setText(
                dev.docmesh.proto.document.v1.DocumentText.newBuilder()
                    .addPages(
                        dev.docmesh.proto.document.v1.PageText.newBuilder()
                            .setPageNumber(1)
                            .setText("hello")))
            .build();
    mesh.processor.behaviour =
        (request, out) -> {
          out.onNext(FakeProcessor.progress(1, 1));
          out.onNext(ProcessResponse.newBuilder().setResult(text).build());
          out.onCompleted();
        };
    Task offered =
        mesh.queue.offer(
            mesh.task("pdf.text", Duration.ofSeconds(30))
                .addUpstream(upstream)
                .putOptions("sort_by_position", "true")
                .setPassword("secret")
                .setTraceparent("00-" + traceId + "-" + parentSpan + "-01"),
            Duration.ofSeconds(30));
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);

    var request = mesh.processor.requests.get(0);
    assertThat(request.getProcessor()).isEqualTo("pdf.text");
    assertThat(request.getContent().toString(StandardCharsets.UTF_8))
        .isEqualTo("document of job 1");
    assertThat(request.getUpstreamList()).containsExactly(upstream);
    assertThat(request.getOptionsMap()).containsEntry("sort_by_position", "true");
    assertThat(request.getPassword()).isEqualTo("secret");
    assertThat(request.getMediaType()).isEqualTo("text/plain");
    // the worker relays progress at most every DOCMESH_WORKER_PROGRESS_INTERVAL (100ms in
    // FakeMesh):
    // the processor is asked for no more than that
    assertThat(com.google.protobuf.util.Durations.toMillis(request.getProgressInterval()))
        .isEqualTo(100);

    var completion = mesh.queue.completions.get(0);
    assertThat(completion.getTaskId()).isEqualTo(offered.getTaskId());
    assertThat(completion.getLeaseToken()).isEqualTo(offered.getLeaseToken());
    assertThat(completion.getWorkerId()).isEqualTo("worker-under-test");
    assertThat(completion.getOutput()).isEqualTo(text);

    // the processor call is a child of the worker's span, itself a child of the task's context
    String seen = mesh.processor.traceparents.get(0);
    assertThat(seen).startsWith("00-" + traceId + "-").doesNotContain(parentSpan);

    assertThat(mesh.queue.polls)
        .allSatisfy(
            p -> assertThat(p.getProcessorsList()).containsExactly("pdf.text", "pdf.validate"));
    await().atMost(WAIT).until(() -> mesh.tasks("pdf.text", "completed") == 1);
    var status =
        mesh.control.getWorkerStatus(GetWorkerStatusRequest.getDefaultInstance()).getStatus();
    assertThat(status.getTasksCompleted()).isEqualTo(1);
    assertThat(status.getProcessorsList()).containsExactly("pdf.text", "pdf.validate");
    assertThat(status.getSlotsTotal()).isEqualTo(1);
    assertThat(status.getHeapMaxBytes()).isPositive();
  }

  @Test
  void aCompletionIsHandedTheSlotsNextTaskInsteadOfAPoll() {
    mesh = meshes.start();
    CountDownLatch hold = new CountDownLatch(1);
    mesh.processor.behaviour =
        (request, out) -> {
          hold.await(20, TimeUnit.SECONDS); // only the first call waits: the rest find it open
          out.onNext(
              ProcessResponse.newBuilder().setResult(StageOutput.getDefaultInstance()).build());
          out.onCompleted();
        };
    Task t1 = mesh.offer("pdf.text");
    await().atMost(WAIT).until(() -> mesh.processor.requests.size() == 1);
    // queued while the first runs: its completion, not a poll, hands the next one over
    Task t2 = mesh.offer("pdf.validate");
    Task t3 = mesh.offer("pdf.text");
    int pollsBefore = mesh.queue.polls.size();
    hold.countDown();
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 3);

    assertThat(mesh.queue.completions)
        .extracting(c -> c.getTaskId())
        .containsExactly(t1.getTaskId(), t2.getTaskId(), t3.getTaskId());
    assertThat(mesh.queue.handedOver).containsExactly(t2, t3);
    assertThat(mesh.queue.completions)
        .allSatisfy(
            c -> {
              assertThat(c.getLeaseNext().getProcessorsList())
                  .containsExactly("pdf.text", "pdf.validate");
              assertThat(c.getLeaseNext().getSlotsTotal()).isEqualTo(1);
              assertThat(c.getLeaseNext().getSlotsBusy()).isEqualTo(1);
            });
    // no poll ran between the three: the one after is the slot asking once the queue was empty
    assertThat(mesh.queue.polls.size()).isLessThanOrEqualTo(pollsBefore + 1);
    await().atMost(WAIT).until(() -> mesh.tasks("pdf.validate", "completed") == 1);
    assertThat(mesh.tasks("pdf.text", "completed")).isEqualTo(2);
  }

  @Test
  void theStagesOfOneDocumentFetchItOnce() {
    mesh = meshes.start();
    Task.Builder first = mesh.task("pdf.validate", Duration.ofSeconds(30));
    mesh.queue.offer(first.clone(), Duration.ofSeconds(30));
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);
    mesh.queue.offer(
        first
            .clone()
            .setTaskId(first.getJobId() + "/text")
            .setStage("text")
            .setProcessor("pdf.text"),
        Duration.ofSeconds(30));
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 2);

    assertThat(mesh.processor.requests)
        .extracting(r -> r.getContent().toString(StandardCharsets.UTF_8))
        .containsExactly("document of job 1", "document of job 1");
    assertThat(mesh.queue.documentReads).hasSize(1);

    mesh.offer("pdf.validate"); // another document is fetched
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 3);
    assertThat(mesh.queue.documentReads).hasSize(2);
  }

  @Test
  void heartbeatsAtLeastEveryThirdOfTheLeaseWithoutProgress() throws Exception {
    mesh = meshes.start();
    CountDownLatch release = new CountDownLatch(1);
    mesh.processor.behaviour =
        (request, out) -> {
          release.await(20, TimeUnit.SECONDS);
          FakeProcessor.answerValid(request, out);
        };
    Task task = mesh.offer("pdf.validate", Duration.ofMillis(900), Duration.ofSeconds(30));
    await().atMost(WAIT).until(() -> mesh.queue.heartbeats.size() >= 8);
    release.countDown();
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);

    List<Beat> beats = mesh.queue.heartbeats;
    assertThat(beats)
        .allSatisfy(b -> assertThat(b.request().getLeaseToken()).isEqualTo(task.getLeaseToken()));
    List<Long> gapsMs = new java.util.ArrayList<>();
    for (int i = 1; i < 8; i++) {
      gapsMs.add(TimeUnit.NANOSECONDS.toMillis(beats.get(i).nanos() - beats.get(i - 1).nanos()));
    }
    java.util.Collections.sort(gapsMs);
    long leaseMs = 900;
    // the worker beats every lease/3 (300 ms). The median gap is that interval give or take a
    // loaded
    // machine's jitter (one stalled beat moves it little); it is well under the lease and not a
    // busy loop.
    assertThat(gapsMs.get(gapsMs.size() / 2))
        .as("median gap of %s ms", gapsMs)
        .isBetween(leaseMs / 6, leaseMs * 2 / 3);
  }

  @Test
  void relaysProgressNoMoreOftenThanTheProgressInterval() {
    mesh = meshes.start(Map.of("DOCMESH_WORKER_PROGRESS_INTERVAL", "300ms"));
    mesh.processor.behaviour =
        (request, out) -> {
          for (int page = 1; page <= 100; page++) {
            out.onNext(FakeProcessor.progress(page, 100));
            Thread.sleep(10); // a processor working through pages, not a test wait
          }
          FakeProcessor.answerValid(request, out);
        };
    mesh.offer("pdf.validate", Duration.ofSeconds(60), Duration.ofSeconds(30));
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);

    List<Beat> withProgress =
        mesh.queue.heartbeats.stream().filter(b -> b.request().hasProgress()).toList();
    // 100 progress events over about a second became a handful of beats, at least 300 ms apart
    assertThat(withProgress).hasSizeBetween(2, 20);
    // Rate-limited to one per 300 ms: over the span they arrived in, no more than span/interval + 1
    // (+1 for a beat delayed in transit arriving close to the next; receipt gaps alone jitter under
    // load).
    long spanMs =
        TimeUnit.NANOSECONDS.toMillis(
            withProgress.get(withProgress.size() - 1).nanos() - withProgress.get(0).nanos());
    assertThat(withProgress.size())
        .as("progress beats over %s ms", spanMs)
        .isLessThanOrEqualTo((int) (spanMs / 300) + 2);
    for (int i = 1; i < withProgress.size(); i++) {
      assertThat(withProgress.get(i).request().getProgress().getDone())
          .isGreaterThan(withProgress.get(i - 1).request().getProgress().getDone());
    }
  }

  @Test
  void cancelRequestedCancelsTheProcessorCallAtOnce() throws Exception {
    mesh = meshes.start(Map.of("DOCMESH_WORKER_PROGRESS_INTERVAL", "10ms"));
    CountDownLatch started = new CountDownLatch(1);
    mesh.processor.behaviour = FakeProcessor.hangUntilCancelled(started);
    mesh.offer("pdf.validate", Duration.ofMillis(1500), Duration.ofSeconds(30));
    assertThat(started.await(15, TimeUnit.SECONDS)).isTrue();
    await().atMost(WAIT).until(() -> !mesh.queue.heartbeats.isEmpty());

    int beatsBefore = mesh.queue.heartbeats.size();
    mesh.queue.cancelRequested = true;
    // the next keep-alive beat carries the answer, and the worker cancels the processor call at
    // once
    await().atMost(WAIT).until(() -> mesh.processor.cancelledCalls.get() == 1);
    await().atMost(WAIT).until(() -> mesh.tasks("pdf.validate", "cancelled") == 1);
    assertThat(mesh.queue.completeAttempts).isEmpty();
    assertThat(mesh.queue.failures).isEmpty();
    // counted in beats, not wall time: the first beat answered with cancel_requested (one more may
    // have been in flight when the flag was set) ends it; no beat follows the cancelled task
    assertThat(mesh.queue.heartbeats.size() - beatsBefore)
        .as("beats after cancel was requested")
        .isBetween(1, 2);
  }

  @Test
  void processorErrorsFailTheTaskRetryableOrNotFromTheStatus() {
    mesh = meshes.start();
    List<io.grpc.StatusRuntimeException> errors =
        List.of(
            Errors.withReason(Status.Code.INVALID_ARGUMENT, "PDF_CORRUPT", "not a PDF"),
            Errors.withReason(Status.Code.RESOURCE_EXHAUSTED, "LIMIT_PAGES", "too many pages"),
            Errors.withReason(Status.Code.FAILED_PRECONDITION, "PDF_ENCRYPTED", "password needed"),
            Status.INTERNAL.withDescription("processor bug").asRuntimeException(),
            Status.RESOURCE_EXHAUSTED.withDescription("overloaded").asRuntimeException());
    mesh.processor.behaviour =
        (request, out) -> out.onError(errors.get(mesh.processor.requests.size() - 1));
    for (int i = 0; i < errors.size(); i++) {
      mesh.offer("pdf.validate");
    }
    await().atMost(WAIT).until(() -> mesh.queue.failures.size() == errors.size());

    assertThat(mesh.queue.failures)
        .extracting(
            f -> f.getError().getCode(),
            f -> f.getError().getReason(),
            FailTaskRequest::getRetryable)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("INVALID_ARGUMENT", "PDF_CORRUPT", false),
            org.assertj.core.groups.Tuple.tuple("RESOURCE_EXHAUSTED", "LIMIT_PAGES", false),
            org.assertj.core.groups.Tuple.tuple("FAILED_PRECONDITION", "PDF_ENCRYPTED", false),
            org.assertj.core.groups.Tuple.tuple("INTERNAL", "INTERNAL", true),
            org.assertj.core.groups.Tuple.tuple("RESOURCE_EXHAUSTED", "RESOURCE_EXHAUSTED", true));
    assertThat(mesh.queue.failures)
        .allSatisfy(f -> assertThat(f.getError().getStage()).isEqualTo("stage"));
    assertThat(mesh.queue.failures.get(0).getError().getMessage()).isEqualTo("not a PDF");
    // counted once FailTask has been answered, which is after the fake queue recorded it
    await().atMost(WAIT).until(() -> mesh.tasks("pdf.validate", "failed") == errors.size());
  }

  @Test
  void anUnavailableAnswerIsRetriedByTheChannelsServiceConfigPolicy() {
    mesh = meshes.start(Map.of("DOCMESH_WORKER_BREAKER_FAILURES", "1"));
    mesh.processor.behaviour =
        (request, out) -> {
          if (mesh.processor.requests.size() == 1) {
            out.onError(Status.UNAVAILABLE.withDescription("restarting").asRuntimeException());
          } else {
            FakeProcessor.answerValid(request, out);
          }
        };
    mesh.offer("pdf.validate");
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);
    assertThat(mesh.processor.requests).hasSize(2);
    // one logical call that succeeded: the retry happened inside the channel, so the worker's own
    // loop (and its circuit breaker, which opens at the first failure here) never saw UNAVAILABLE
    String[] labels = {"grpc_type", "grpc_service", "grpc_method", "grpc_code"};
    assertThat(
            mesh.metric(
                "grpc_client_handled_total",
                labels,
                new String[] {
                  "server_stream", "docmesh.processor.v1.ProcessorService", "Process", "OK"
                }))
        .isEqualTo(1.0);
    assertThat(
            mesh.metric(
                "grpc_client_handled_total",
                labels,
                new String[] {
                  "server_stream", "docmesh.processor.v1.ProcessorService", "Process", "UNAVAILABLE"
                }))
        .isNull();
  }

  @Test
  void pollingResumesWithBackoffOnceTheOrchestratorIsBack() {
    mesh = meshes.start();
    await().atMost(WAIT).until(() -> !mesh.queue.polls.isEmpty());
    mesh.orchestratorServer.stop();
    mesh.offer("pdf.validate");
    await()
        .during(Duration.ofSeconds(1))
        .atMost(WAIT)
        .until(() -> mesh.queue.completions.isEmpty());
    mesh.orchestratorServer.start();
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);
  }

  @Test
  void metricsPageShowsTheWorkersDomainMetrics() throws Exception {
    mesh = meshes.start();
    mesh.offer("pdf.validate");
    await().atMost(WAIT).until(() -> mesh.tasks("pdf.validate", "completed") == 1);
    String page =
        dev.docmesh.meshkit.testing.Loopback.get(mesh.worker.metricsPort(), "/metrics").body();
    assertThat(page)
        .contains("docmesh_worker_slots{state=\"busy\",} 0.0")
        .contains("docmesh_worker_slots{state=\"idle\",} 1.0")
        .contains(
            "docmesh_worker_tasks_total{processor=\"pdf.validate\",outcome=\"completed\",} 1.0")
        .contains("docmesh_worker_task_seconds_count{processor=\"pdf.validate\",} 1.0")
        .contains("docmesh_worker_poll_seconds_count")
        .contains(
            "docmesh_worker_circuit_open{target=\"" + mesh.processorServer.target() + "\",} 0.0");
  }

  @Test
  void busyProcessorIsRetriedAfterTheDelayItAsksForWithoutFailingTheTask() {
    mesh = meshes.start();
    mesh.processor.behaviour =
        (request, out) -> {
          if (mesh.processor.requests.size() < 3) {
            out.onError(
                Errors.resourceExhausted(
                    "PROCESSOR_BUSY", "all threads busy", Duration.ofMillis(100)));
          } else {
            FakeProcessor.answerValid(request, out);
          }
        };
    mesh.offer("pdf.validate");
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);
    assertThat(mesh.processor.requests).hasSize(3);
    assertThat(mesh.queue.failures).isEmpty();
  }

  @Test
  void resultIsRetriedWhileTheOrchestratorIsDownUntilAccepted() throws Exception {
    mesh = meshes.start();
    FakeProcessor.Gate gate = mesh.processor.holdCalls();
    Task task = mesh.offer("pdf.validate");
    assertThat(gate.started()).isTrue();

    mesh.orchestratorServer.stop();
    gate.release();
    // the worker has the result and nobody to give it to: it must keep it, not drop it
    await()
        .during(Duration.ofSeconds(1))
        .atMost(WAIT)
        .until(() -> mesh.queue.completions.isEmpty());
    mesh.orchestratorServer.start();

    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);
    assertThat(mesh.queue.completions.get(0).getLeaseToken()).isEqualTo(task.getLeaseToken());
    assertThat(mesh.processor.requests).hasSize(1);
    await().atMost(WAIT).until(() -> mesh.tasks("pdf.validate", "completed") == 1);
  }

  @Test
  void staleLeaseRejectionEndsDeliveryAndTransientErrorsAreRetried() {
    mesh = meshes.start();
    mesh.queue.completeScript =
        (request, call) ->
            switch (call) {
              case 1, 2 -> Status.UNAVAILABLE;
              default -> Status.FAILED_PRECONDITION;
            };
    mesh.offer("pdf.validate");
    await().atMost(WAIT).until(() -> mesh.tasks("pdf.validate", "lease_lost") == 1);
    // two transient failures retried (after the channel's own retries), then the rejection is final
    assertThat(mesh.queue.completeAttempts.size()).isGreaterThanOrEqualTo(3);
    int attempts = mesh.queue.completeAttempts.size();
    await()
        .during(Duration.ofMillis(800))
        .atMost(WAIT)
        .until(() -> mesh.queue.completeAttempts.size() == attempts);
    assertThat(mesh.queue.completions).isEmpty();
    assertThat(mesh.queue.failures).isEmpty();
  }

  @Test
  void noPollingWhileHeapIsAboveItsLimit() {
    mesh = meshes.start(Map.of("DOCMESH_WORKER_MAX_HEAP", "0.0"));
    await()
        .atMost(WAIT)
        .until(
            () ->
                mesh.control
                        .getWorkerStatus(GetWorkerStatusRequest.getDefaultInstance())
                        .getStatus()
                        .getProcessorsCount()
                    == 2);
    await().during(Duration.ofSeconds(1)).atMost(WAIT).until(() -> mesh.queue.polls.isEmpty());
    assertThat(
            mesh.control
                .getWorkerStatus(GetWorkerStatusRequest.getDefaultInstance())
                .getStatus()
                .getBackpressure())
        .isTrue();
  }
}
