package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.Durations;
import dev.docmesh.docgen.Corpus;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.orchestrator.v1.CancelJobRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobResultRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobResult;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.ListJobsRequest;
import dev.docmesh.proto.orchestrator.v1.ListJobsResponse;
import dev.docmesh.proto.orchestrator.v1.ListPipelinesRequest;
import dev.docmesh.proto.orchestrator.v1.ListWorkersRequest;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.RetryPolicy;
import dev.docmesh.proto.orchestrator.v1.Stage;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import dev.docmesh.proto.orchestrator.v1.UploadDocumentRequest;
import dev.docmesh.proto.orchestrator.v1.UploadDocumentResponse;
import dev.docmesh.proto.orchestrator.v1.UploadHeader;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A job from upload to result, driven by a scripted worker over real gRPC. */
class JobLifecycleTest {
  @RegisterExtension final TestOrchestrator orch = TestOrchestrator.perTest();

  static UploadDocumentResponse upload(TestOrchestrator orch, byte[] bytes, int chunk, String sha)
      throws Exception {
    CompletableFuture<UploadDocumentResponse> result = new CompletableFuture<>();
    StreamObserver<UploadDocumentRequest> up =
        orch.asyncClient.uploadDocument(
            new StreamObserver<>() {
              @Override
              public void onNext(UploadDocumentResponse r) {
                result.complete(r);
              }

              @Override
              public void onError(Throwable t) {
                result.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {}
            });
    up.onNext(
        UploadDocumentRequest.newBuilder()
            .setHeader(
                UploadHeader.newBuilder()
                    .setFilename("doc.pdf")
                    .setSizeBytes(bytes.length)
                    .setSha256(sha))
            .build());
    for (int off = 0; off < bytes.length; off += chunk) {
      up.onNext(
          UploadDocumentRequest.newBuilder()
              .setChunk(ByteString.copyFrom(bytes, off, Math.min(chunk, bytes.length - off)))
              .build());
    }
    up.onCompleted();
    return result.get(20, TimeUnit.SECONDS);
  }

  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  static byte[] corpusPdf() {
    return Corpus.read(Corpus.files().get(0));
  }

  @Test
  void fullLifecycleFromUploadToAssembledResult() throws Exception {
    byte[] pdf = corpusPdf();
    UploadDocumentResponse up = upload(orch, pdf, 16 * 1024, sha256(pdf));
    assertThat(up.getDocumentId()).isEqualTo("sha256:" + sha256(pdf));
    assertThat(up.getAlreadyStored()).isFalse();

    Job job =
        orch.submit(
            SubmitJobRequest.newBuilder()
                .setDocumentId(up.getDocumentId())
                .setFilename("doc.pdf")
                .putLabels("tenant", "acme")
                .setPriority(5)
                .build());
    assertThat(job.getState()).isEqualTo(JobState.JOB_STATE_QUEUED);
    assertThat(job.getId()).matches("job-[0-9A-HJKMNP-TV-Z]{26}");
    assertThat(job.getPipeline()).isEqualTo("pdf-standard");
    assertThat(job.getDocument().getMediaType()).isEqualTo("application/pdf");
    assertThat(job.getDocument().getSizeBytes()).isEqualTo(pdf.length);
    assertThat(job.getStagesList())
        .extracting(s -> s.getName())
        .containsExactly("validate", "metadata", "text", "structure", "relationships");
    assertThat(job.getStages(0).getState()).isEqualTo(TaskState.TASK_STATE_READY);
    assertThat(job.getStages(4).getState()).isEqualTo(TaskState.TASK_STATE_BLOCKED);

    EventCollector watch = new EventCollector();
    orch.asyncClient.watchJob(WatchJobRequest.newBuilder().setJobId(job.getId()).build(), watch);
    // Progress is not stored: only a watcher already subscribed sees it. The call above returns
    // before the server has subscribed; its first (replayed) event says it has.
    await("watching").atMost(Duration.ofSeconds(10)).until(() -> !watch.events.isEmpty());

    ScriptedWorker worker = orch.worker("w1");
    Task validate = worker.poll();
    assertThat(validate.getStage()).isEqualTo("validate");
    assertThat(validate.getAttempt()).isEqualTo(1);
    assertThat(validate.getDocument().getId()).isEqualTo(up.getDocumentId());
    assertThat(validate.getLeaseToken()).isNotEmpty();
    assertThat(validate.getTaskId()).isEqualTo(job.getId() + "/validate");
    // the worker fetches the document it was given
    byte[] fetched = DocumentFetch.fetch(orch.queue, validate.getDocument().getId(), 4096);
    assertThat(fetched).isEqualTo(pdf);

    assertThat(
            worker
                .heartbeat(
                    validate, Progress.newBuilder().setDone(1).setTotal(2).setUnit("page").build())
                .getCancelRequested())
        .isFalse();
    assertThat(
            orch.client.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build()).getJob())
        .satisfies(
            j -> {
              assertThat(j.getState()).isEqualTo(JobState.JOB_STATE_RUNNING);
              assertThat(j.getProgressPercent()).isEqualTo(10.0);
              assertThat(j.getStages(0).getWorkerId()).isEqualTo("w1");
            });
    worker.complete(validate);

    List<Task> middle = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      middle.add(worker.poll());
    }
    assertThat(middle)
        .extracting(Task::getStage)
        .containsExactlyInAnyOrder("metadata", "text", "structure");
    assertThat(worker.poll(Duration.ofMillis(200), ScriptedWorker.PDF_PROCESSORS))
        .as("relationships still blocked")
        .isNull();
    for (Task t : middle) {
      assertThat(t.getUpstreamList()).extracting(u -> u.getStage()).containsExactly("validate");
      // the output as the worker sent it, although the orchestrator never parsed it
      assertThat(t.getUpstream(0).getOutput()).isEqualTo(ScriptedWorker.outputFor("pdf.validate"));
      worker.complete(t);
    }
    Task rel = worker.poll();
    assertThat(rel.getStage()).isEqualTo("relationships");
    assertThat(rel.getUpstreamList())
        .extracting(u -> u.getStage())
        .containsExactlyInAnyOrder("metadata", "text", "structure");
    rel.getUpstreamList()
        .forEach(
            u -> assertThat(u.getOutput()).isEqualTo(ScriptedWorker.outputFor(u.getProcessor())));
    assertThat(worker.complete(rel).getJobState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);

    assertThat(watch.awaitDone()).isTrue();
    assertThat(watch.error).isNull();
    // stored events are numbered 1, 2, 3, ...; progress (not stored) repeats the one it follows
    List<Long> seqs =
        watch.events.stream()
            .filter(e -> !e.hasTaskProgressed())
            .map(JobEvent::getSequence)
            .toList();
    assertThat(seqs)
        .containsExactlyElementsOf(LongStream.rangeClosed(1, seqs.size()).boxed().toList());
    for (int i = 1; i < watch.events.size(); i++) {
      if (watch.events.get(i).hasTaskProgressed()) {
        assertThat(watch.events.get(i).getSequence())
            .isEqualTo(watch.events.get(i - 1).getSequence());
      }
    }
    JobEvent last = watch.events.get(watch.events.size() - 1);
    assertThat(last.getJobStateChanged().getTo()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    assertThat(last.getProgressPercent()).isEqualTo(100.0);
    assertThat(watch.events)
        .anyMatch(e -> e.hasTaskProgressed() && e.getTaskProgressed().getProgress().getDone() == 1);

    Job done =
        orch.client.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build()).getJob();
    assertThat(done.getState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    assertThat(done.getLastSequence()).isEqualTo(last.getSequence());
    assertThat(done.hasEndTime()).isTrue();
    assertThat(done.getStagesList()).allMatch(s -> s.getState() == TaskState.TASK_STATE_SUCCEEDED);

    JobResult result =
        orch.client
            .getJobResult(GetJobResultRequest.newBuilder().setJobId(job.getId()).build())
            .getResult();
    assertThat(result.getState()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    assertThat(result.getValidation().getValid()).isTrue();
    assertThat(result.getMetadata().getTitle()).isEqualTo("Scripted");
    assertThat(result.getPagesList()).hasSize(2);
    assertThat(result.getElementsList()).extracting(e -> e.getId()).containsExactly("e1", "e2");
    assertThat(result.getRelationshipsList()).hasSize(1);

    // a watcher arriving after the end gets the stored history and completes
    EventCollector late = new EventCollector();
    orch.asyncClient.watchJob(
        WatchJobRequest.newBuilder().setJobId(job.getId()).setAfterSequence(3).build(), late);
    assertThat(late.awaitDone()).isTrue();
    assertThat(late.sequences())
        .containsExactlyElementsOf(LongStream.rangeClosed(4, last.getSequence()).boxed().toList());

    assertThat(orch.client.listWorkers(ListWorkersRequest.getDefaultInstance()).getWorkersList())
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.getWorkerId()).isEqualTo("w1");
              assertThat(w.getSlotsTotal()).isEqualTo(2);
              assertThat(w.getPeer()).contains("127.0.0.1");
            });
    String metrics = orch.metrics();
    assertThat(metrics)
        .contains("docmesh_jobs_total{pipeline=\"pdf-standard\",state=\"succeeded\",} 1.0");
    assertThat(metrics)
        .contains("docmesh_tasks_total{processor=\"pdf.text\",outcome=\"succeeded\",} 1.0");
    assertThat(metrics)
        .contains(
            "docmesh_job_duration_seconds_count{pipeline=\"pdf-standard\",state=\"succeeded\",} 1.0");
    assertThat(metrics)
        .contains("docmesh_schedule_to_start_seconds_count{processor=\"pdf.validate\",} 1.0");
    assertThat(metrics).contains("docmesh_queue_oldest_age_seconds 0.0");
    assertThat(metrics).contains("docmesh_active_watchers 0.0");
  }

  @Test
  void uploadingTheSameBytesAgainStoresNothingNew() throws Exception {
    byte[] doc = "%PDF-1.4 same bytes twice".getBytes();
    UploadDocumentResponse first = upload(orch, doc, 7, "");
    UploadDocumentResponse second = upload(orch, doc, 3, sha256(doc));
    assertThat(second.getDocumentId()).isEqualTo(first.getDocumentId());
    assertThat(first.getAlreadyStored()).isFalse();
    assertThat(second.getAlreadyStored()).isTrue();
    try (var files = Files.walk(orch.dataDir.resolve("blobs"))) {
      assertThat(files.filter(Files::isRegularFile).toList()).hasSize(1);
    }
  }

  @Test
  void queuedTaskIsReportedAsQueueDepthAndHigherPriorityRunsFirst() throws Exception {
    Job low =
        orch.submit(
            SubmitJobRequest.newBuilder()
                .setContent(ByteString.copyFrom(TestOrchestrator.PDF))
                .setPriority(-5)
                .build());
    Job high =
        orch.submit(
            SubmitJobRequest.newBuilder()
                .setContent(ByteString.copyFrom(TestOrchestrator.PDF))
                .setPriority(50)
                .build());
    assertThat(orch.metrics()).contains("docmesh_queue_depth{processor=\"pdf.validate\",} 2.0");
    ScriptedWorker w = orch.worker("w");
    assertThat(w.poll().getJobId()).isEqualTo(high.getId());
    assertThat(w.poll().getJobId()).isEqualTo(low.getId());
  }

  @Test
  void waitingPollerIsAnsweredAsSoonAsATaskIsSubmitted() throws Exception {
    ScriptedWorker w = orch.worker("w");
    CompletableFuture<Task> polled =
        CompletableFuture.supplyAsync(
            () -> w.poll(Duration.ofSeconds(20), ScriptedWorker.PDF_PROCESSORS));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                orch.client.listWorkers(ListWorkersRequest.getDefaultInstance()).getWorkersCount()
                    == 1);
    long start = System.nanoTime();
    Job job = orch.submitPdf();
    Task t = polled.get(10, TimeUnit.SECONDS);
    assertThat(t.getJobId()).isEqualTo(job.getId());
    // woken by the submit: well before its 20 s wait would have ended (an expired wait returns no
    // task)
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void nonRetryableFailureFailsTheJobAtOnceWithStageAndReason() throws Exception {
    Job job = orch.submitPdf();
    ScriptedWorker w = orch.worker("w");
    Task t = w.poll();
    assertThat(w.fail(t, "PDF_ENCRYPTED", false).getWillRetry()).isFalse();
    Job failed =
        orch.client.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build()).getJob();
    assertThat(failed.getState()).isEqualTo(JobState.JOB_STATE_FAILED);
    assertThat(failed.getError().getStage()).isEqualTo("validate");
    assertThat(failed.getError().getReason()).isEqualTo("PDF_ENCRYPTED");
    assertThat(failed.getStages(0).getState()).isEqualTo(TaskState.TASK_STATE_FAILED);
    assertThat(failed.getStagesList().subList(1, 5))
        .allMatch(s -> s.getState() == TaskState.TASK_STATE_CANCELLED);
    // the result of a failed job still assembles (empty here)
    assertThat(
            orch.client
                .getJobResult(GetJobResultRequest.newBuilder().setJobId(job.getId()).build())
                .getResult()
                .getState())
        .isEqualTo(JobState.JOB_STATE_FAILED);
  }

  @Test
  void retryableFailureIsRetriedAfterBackoffUntilAttemptsRunOut() throws Exception {
    Pipeline inline =
        Pipeline.newBuilder()
            .setName("one")
            .addStages(
                Stage.newBuilder()
                    .setName("only")
                    .setProcessor("text.plain")
                    .setRetry(
                        RetryPolicy.newBuilder()
                            .setMaxAttempts(2)
                            .setInitialBackoff(Durations.fromSeconds(1))))
            .build();
    Job job =
        orch.submit(
            SubmitJobRequest.newBuilder()
                .setContent(ByteString.copyFromUtf8("hello"))
                .setInlinePipeline(inline)
                .build());
    assertThat(job.getPipeline()).isEqualTo("inline");
    assertThat(job.getDocument().getMediaType()).isEqualTo("application/octet-stream");
    ScriptedWorker w = orch.worker("w");
    List<String> plain = List.of("text.plain");
    Task first = w.poll(Duration.ofSeconds(5), plain);
    long before = System.currentTimeMillis();
    var r = w.fail(first, "FLAKY", true);
    long after = System.currentTimeMillis();
    assertThat(r.getWillRetry()).isTrue();
    long retryAt = com.google.protobuf.util.Timestamps.toMillis(r.getRetryTime());
    assertThat(retryAt).isBetween(before + 1000, after + 1000);
    assertThat(w.poll(Duration.ofMillis(50), plain)).as("still in backoff").isNull();
    Task second = w.poll(Duration.ofSeconds(5), plain);
    assertThat(second.getAttempt()).isEqualTo(2);
    assertThat(second.getLeaseToken()).isNotEqualTo(first.getLeaseToken());
    assertThat(w.fail(second, "FLAKY", true).getWillRetry()).as("attempts used up").isFalse();
    Job failed =
        orch.client.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build()).getJob();
    assertThat(failed.getState()).isEqualTo(JobState.JOB_STATE_FAILED);
    assertThat(failed.getStages(0).getAttempt()).isEqualTo(2);
    assertThat(orch.metrics())
        .contains("docmesh_tasks_total{processor=\"text.plain\",outcome=\"retried\",} 1.0");
  }

  @Test
  void cancelTellsTheLeasedTaskAtItsNextHeartbeat() throws Exception {
    Job job = orch.submitPdf();
    ScriptedWorker w = orch.worker("w");
    Task t = w.poll();
    Job cancelled =
        orch.client
            .cancelJob(
                CancelJobRequest.newBuilder()
                    .setJobId(job.getId())
                    .setReason("user changed mind")
                    .build())
            .getJob();
    assertThat(cancelled.getState()).isEqualTo(JobState.JOB_STATE_CANCELLED);
    assertThat(cancelled.getError().getReason()).isEqualTo("CANCELLED");
    assertThat(cancelled.getError().getMessage()).isEqualTo("user changed mind");
    assertThat(w.heartbeat(t, null).getCancelRequested()).isTrue();
    assertThat(w.complete(t).getJobState()).isEqualTo(JobState.JOB_STATE_CANCELLED);
    // cancelling again changes nothing
    Job again =
        orch.client.cancelJob(CancelJobRequest.newBuilder().setJobId(job.getId()).build()).getJob();
    assertThat(again).isEqualTo(cancelled);
    assertThat(w.poll(Duration.ofMillis(100), ScriptedWorker.PDF_PROCESSORS)).isNull();
  }

  @Test
  void listJobsFiltersByStateAndLabelAndPages() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(
          orch.submit(
                  SubmitJobRequest.newBuilder()
                      .setContent(ByteString.copyFrom(TestOrchestrator.PDF))
                      .putLabels("batch", i % 2 == 0 ? "even" : "odd")
                      .build())
              .getId());
    }
    orch.client.cancelJob(CancelJobRequest.newBuilder().setJobId(ids.get(0)).build());
    ListJobsResponse page1 =
        orch.client.listJobs(ListJobsRequest.newBuilder().setPageSize(2).build());
    assertThat(page1.getJobsList()).extracting(Job::getId).containsExactly(ids.get(4), ids.get(3));
    ListJobsResponse page2 =
        orch.client.listJobs(
            ListJobsRequest.newBuilder()
                .setPageSize(2)
                .setPageToken(page1.getNextPageToken())
                .build());
    assertThat(page2.getJobsList()).extracting(Job::getId).containsExactly(ids.get(2), ids.get(1));
    ListJobsResponse page3 =
        orch.client.listJobs(
            ListJobsRequest.newBuilder()
                .setPageSize(2)
                .setPageToken(page2.getNextPageToken())
                .build());
    assertThat(page3.getJobsList()).extracting(Job::getId).containsExactly(ids.get(0));
    assertThat(page3.getNextPageToken()).isEmpty();
    assertThat(
            orch.client
                .listJobs(ListJobsRequest.newBuilder().putLabels("batch", "even").build())
                .getJobsList())
        .extracting(Job::getId)
        .containsExactly(ids.get(4), ids.get(2), ids.get(0));
    assertThat(
            orch.client
                .listJobs(
                    ListJobsRequest.newBuilder().addStates(JobState.JOB_STATE_CANCELLED).build())
                .getJobsList())
        .extracting(Job::getId)
        .containsExactly(ids.get(0));
    assertThat(
            orch.client.listPipelines(ListPipelinesRequest.getDefaultInstance()).getPipelinesList())
        .extracting(Pipeline::getName)
        .containsExactly("pdf-standard");
  }

  @Test
  void theSubmitCallsTraceContextIsStoredAndHandedOutWithEachTask() throws Exception {
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    io.grpc.Metadata headers = new io.grpc.Metadata();
    headers.put(
        io.grpc.Metadata.Key.of("traceparent", io.grpc.Metadata.ASCII_STRING_MARSHALLER),
        "00-" + traceId + "-00f067aa0ba902b7-01");
    Job job =
        orch.client
            .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers))
            .submitJob(
                SubmitJobRequest.newBuilder()
                    .setContent(ByteString.copyFrom(TestOrchestrator.PDF))
                    .build())
            .getJob();
    assertThat(job.getTraceparent()).startsWith("00-" + traceId + "-").hasSize(55);
    Task t = orch.worker("w").poll();
    assertThat(t.getTraceparent()).isEqualTo(job.getTraceparent());
  }
}
