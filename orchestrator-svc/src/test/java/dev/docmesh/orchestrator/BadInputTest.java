package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.Durations;
import com.google.rpc.BadRequest;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.meshkit.grpc.OpaqueMethods;
import dev.docmesh.proto.orchestrator.v1.CancelJobRequest;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskRequest;
import dev.docmesh.proto.orchestrator.v1.GetDocumentRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobResultRequest;
import dev.docmesh.proto.orchestrator.v1.HeartbeatRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.ListJobsRequest;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.PollTaskRequest;
import dev.docmesh.proto.orchestrator.v1.Stage;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.UploadDocumentRequest;
import dev.docmesh.proto.orchestrator.v1.UploadHeader;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import dev.docmesh.proto.relay.v1.OpaqueCompleteTaskRequest;
import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every bad input gets its status code and its detail: BadRequest field, ResourceInfo, RetryInfo or
 * ErrorInfo.
 */
class BadInputTest {
  static final String UNKNOWN_JOB = "job-01ARZ3NDEKTSV4RRFFQ69G5FAV";
  static final String UNKNOWN_DOC = "sha256:" + "0".repeat(64);

  @TempDir Path data;
  TestOrchestrator orch;

  @BeforeEach
  void start() {
    orch =
        TestOrchestrator.start(
            data,
            Map.of(
                "DOCMESH_MAX_INLINE_BYTES",
                "1KiB",
                "DOCMESH_MAX_DOCUMENT_BYTES",
                "2KiB",
                "DOCMESH_MAX_PENDING_TASKS",
                "7"));
  }

  @AfterEach
  void stop() throws Exception {
    orch.close();
  }

  static void badRequest(ThrowingCallable call, String field) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call);
    assertThat(e).as("expected INVALID_ARGUMENT on " + field).isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(Errors.detail(e, BadRequest.class))
        .get()
        .extracting(b -> b.getFieldViolations(0).getField())
        .isEqualTo(field);
  }

  static void notFound(ThrowingCallable call, String type, String name) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call);
    assertThat(e).as("expected NOT_FOUND").isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(Errors.detail(e, ResourceInfo.class))
        .get()
        .satisfies(
            r -> {
              assertThat(r.getResourceType()).isEqualTo(type);
              assertThat(r.getResourceName()).isEqualTo(name);
            });
  }

  SubmitJobRequest.Builder pdf() {
    return SubmitJobRequest.newBuilder().setContent(ByteString.copyFrom(TestOrchestrator.PDF));
  }

  @Test
  void jobIdsThatAreMalformedOrUnknown() {
    badRequest(() -> orch.client.getJob(GetJobRequest.newBuilder().build()), "job_id");
    badRequest(
        () -> orch.client.getJob(GetJobRequest.newBuilder().setJobId("job-42").build()), "job_id");
    badRequest(
        () -> orch.client.cancelJob(CancelJobRequest.newBuilder().setJobId("x").build()), "job_id");
    badRequest(
        () -> orch.client.getJobResult(GetJobResultRequest.newBuilder().setJobId("x").build()),
        "job_id");
    badRequest(
        () -> orch.client.watchJob(WatchJobRequest.newBuilder().setJobId("x").build()).hasNext(),
        "job_id");
    notFound(
        () -> orch.client.getJob(GetJobRequest.newBuilder().setJobId(UNKNOWN_JOB).build()),
        "job",
        UNKNOWN_JOB);
    notFound(
        () -> orch.client.cancelJob(CancelJobRequest.newBuilder().setJobId(UNKNOWN_JOB).build()),
        "job",
        UNKNOWN_JOB);
    notFound(
        () ->
            orch.client.getJobResult(
                GetJobResultRequest.newBuilder().setJobId(UNKNOWN_JOB).build()),
        "job",
        UNKNOWN_JOB);
    notFound(
        () ->
            orch.client
                .watchJob(WatchJobRequest.newBuilder().setJobId(UNKNOWN_JOB).build())
                .hasNext(),
        "job",
        UNKNOWN_JOB);
    Job job = orch.submitPdf();
    badRequest(
        () ->
            orch.client
                .watchJob(
                    WatchJobRequest.newBuilder().setJobId(job.getId()).setAfterSequence(-1).build())
                .hasNext(),
        "after_sequence");
    StatusRuntimeException notDone =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                orch.client.getJobResult(
                    GetJobResultRequest.newBuilder().setJobId(job.getId()).build()));
    assertThat(notDone.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(Errors.reason(notDone)).contains("JOB_NOT_FINISHED");
  }

  @Test
  void submitRequestsThatAreMalformed() {
    badRequest(() -> orch.submit(SubmitJobRequest.newBuilder().build()), "document_id");
    badRequest(
        () -> orch.submit(SubmitJobRequest.newBuilder().setDocumentId("md5:abc").build()),
        "document_id");
    notFound(
        () -> orch.submit(SubmitJobRequest.newBuilder().setDocumentId(UNKNOWN_DOC).build()),
        "document",
        UNKNOWN_DOC);
    badRequest(
        () ->
            orch.submit(
                SubmitJobRequest.newBuilder()
                    .setContent(ByteString.copyFrom(new byte[1025]))
                    .build()),
        "content");
    badRequest(
        () -> orch.submit(SubmitJobRequest.newBuilder().setContent(ByteString.EMPTY).build()),
        "content");
    badRequest(() -> orch.submit(pdf().setPriority(101).build()), "priority");
    badRequest(() -> orch.submit(pdf().setRequestId("r".repeat(129)).build()), "request_id");
    badRequest(() -> orch.submit(pdf().putLabels("k".repeat(64), "v").build()), "labels");
    badRequest(() -> orch.submit(pdf().setPipeline("no-such-pipeline").build()), "pipeline");
  }

  @Test
  void inlinePipelinesThatAreNotRunnableDags() {
    Stage a = Stage.newBuilder().setName("a").setProcessor("pdf.text").build();
    Stage b = Stage.newBuilder().setName("b").setProcessor("pdf.metadata").addAfter("a").build();
    badRequest(
        () ->
            orch.submit(
                pdf()
                    .setInlinePipeline(
                        Pipeline.newBuilder()
                            .setName("p")
                            .addStages(a.toBuilder().setProcessor("pdf.ocr")))
                    .build()),
        "inline_pipeline.stages[0].processor");
    badRequest(
        () ->
            orch.submit(
                pdf()
                    .setInlinePipeline(
                        Pipeline.newBuilder()
                            .setName("p")
                            .addStages(a.toBuilder().addAfter("b"))
                            .addStages(b))
                    .build()),
        "inline_pipeline.stages[0].after");
    badRequest(
        () ->
            orch.submit(
                pdf()
                    .setInlinePipeline(
                        Pipeline.newBuilder()
                            .setName("p")
                            .addStages(a)
                            .addStages(b.toBuilder().addAfter("c")))
                    .build()),
        "inline_pipeline.stages[1].after[1]");
    badRequest(
        () ->
            orch.submit(
                pdf()
                    .setInlinePipeline(Pipeline.newBuilder().setName("p").addStages(a).addStages(a))
                    .build()),
        "inline_pipeline.stages[1].name");
    badRequest(
        () -> orch.submit(pdf().setInlinePipeline(Pipeline.newBuilder().setName("p")).build()),
        "inline_pipeline.stages");
    // a processor a worker announced becomes usable
    orch.worker("w").poll(java.time.Duration.ofMillis(1), java.util.List.of("pdf.ocr"));
    Job ok =
        orch.submit(
            pdf()
                .setInlinePipeline(
                    Pipeline.newBuilder()
                        .setName("p")
                        .addStages(a.toBuilder().setProcessor("pdf.ocr")))
                .build());
    assertThat(ok.getStagesCount()).isEqualTo(1);
  }

  @Test
  void tooManyPendingTasksIsResourceExhaustedWithRetryInfo() {
    orch.submitPdf(); // 5 of 7 pending tasks
    StatusRuntimeException e =
        catchThrowableOfType(StatusRuntimeException.class, () -> orch.submitPdf());
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(Errors.detail(e, RetryInfo.class))
        .get()
        .extracting(r -> r.getRetryDelay().getSeconds())
        .isEqualTo(5L);
    assertThat(Errors.reason(e)).contains("QUEUE_FULL");
  }

  @Test
  void uploadsThatAreTooLargeOrDoNotMatchTheirChecksum() throws Exception {
    badRequest(() -> upload(UploadHeader.newBuilder().build(), new byte[3000]), "chunk");
    badRequest(
        () -> upload(UploadHeader.newBuilder().setSizeBytes(3000).build(), new byte[10]),
        "header.size_bytes");
    badRequest(
        () -> upload(UploadHeader.newBuilder().setSha256("ab".repeat(32)).build(), new byte[10]),
        "header.sha256");
    badRequest(
        () -> upload(UploadHeader.newBuilder().setSha256("xyz").build(), new byte[10]),
        "header.sha256");
    badRequest(
        () -> upload(UploadHeader.newBuilder().setSizeBytes(11).build(), new byte[10]),
        "header.size_bytes");
    badRequest(() -> upload(null, new byte[10]), "header");
    try (var files = Files.walk(data.resolve("blobs"))) {
      assertThat(files.filter(Files::isRegularFile).toList()).as("nothing was stored").isEmpty();
    }
  }

  private void upload(UploadHeader header, byte[] bytes) throws Throwable {
    CompletableFuture<Object> done = new CompletableFuture<>();
    StreamObserver<UploadDocumentRequest> up =
        orch.asyncClient.uploadDocument(
            new StreamObserver<>() {
              @Override
              public void onNext(dev.docmesh.proto.orchestrator.v1.UploadDocumentResponse r) {
                done.complete(r);
              }

              @Override
              public void onError(Throwable t) {
                done.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {}
            });
    if (header != null) {
      up.onNext(UploadDocumentRequest.newBuilder().setHeader(header).build());
    }
    up.onNext(UploadDocumentRequest.newBuilder().setChunk(ByteString.copyFrom(bytes)).build());
    up.onCompleted();
    try {
      done.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause();
    }
  }

  @Test
  void listAndWorkerRequestsThatAreMalformed() {
    badRequest(
        () -> orch.client.listJobs(ListJobsRequest.newBuilder().setPageSize(5000).build()),
        "page_size");
    badRequest(
        () -> orch.client.listJobs(ListJobsRequest.newBuilder().setPageToken("!!!").build()),
        "page_token");
    badRequest(
        () -> orch.queue.pollTask(PollTaskRequest.newBuilder().setWorkerId("w").build()),
        "processors");
    badRequest(
        () -> orch.queue.pollTask(PollTaskRequest.newBuilder().addProcessors("pdf.text").build()),
        "worker_id");
    badRequest(
        () ->
            orch.queue.pollTask(
                PollTaskRequest.newBuilder()
                    .setWorkerId("w")
                    .addProcessors("pdf.text")
                    .setWait(Durations.fromSeconds(-1))
                    .build()),
        "wait");
    badRequest(
        () ->
            orch.queue.heartbeat(
                HeartbeatRequest.newBuilder().setTaskId("nope").setLeaseToken("t").build()),
        "task_id");
    notFound(
        () ->
            orch.queue.heartbeat(
                HeartbeatRequest.newBuilder()
                    .setTaskId(UNKNOWN_JOB + "/validate")
                    .setLeaseToken("t")
                    .build()),
        "task",
        UNKNOWN_JOB + "/validate");
    badRequest(
        () ->
            orch.queue
                .getDocument(GetDocumentRequest.newBuilder().setDocumentId("nope").build())
                .hasNext(),
        "document_id");
    notFound(
        () ->
            orch.queue
                .getDocument(GetDocumentRequest.newBuilder().setDocumentId(UNKNOWN_DOC).build())
                .hasNext(),
        "document",
        UNKNOWN_DOC);
    orch.submitPdf();
    Task t = orch.worker("w").poll();
    badRequest(
        () ->
            orch.queue.completeTask(
                CompleteTaskRequest.newBuilder()
                    .setTaskId(t.getTaskId())
                    .setLeaseToken(t.getLeaseToken())
                    .build()),
        "output");
    badRequest(
        () -> orch.queue.heartbeat(HeartbeatRequest.newBuilder().setTaskId(t.getTaskId()).build()),
        "lease_token");
    notFound(
        () ->
            orch.queue.heartbeat(
                HeartbeatRequest.newBuilder()
                    .setTaskId(t.getJobId() + "/nostage")
                    .setLeaseToken("x")
                    .build()),
        "task",
        t.getJobId() + "/nostage");
  }

  /**
   * The orchestrator stores outputs without parsing them (they are forwarded to later stages and
   * read for GetJobResult): one that would not parse is refused at CompleteTask, and the task stays
   * leased for a good one.
   */
  @Test
  void outputsThatWouldNotParseAreRefusedAndTheTaskWaitsForAGoodOne() {
    Job job = orch.submitPdf();
    ScriptedWorker w = orch.worker("w");
    Task t = w.poll();
    byte[] good = ScriptedWorker.outputFor(t.getProcessor()).toByteArray();
    byte[] badUtf8 = good.clone();
    badUtf8[indexOf(badUtf8, "application/pdf".getBytes(StandardCharsets.UTF_8))] = (byte) 0xC3;
    byte[] unknownKind = {(byte) 0xFA, 0x06, 0x00}; // field 99, empty: no kind this server knows
    for (byte[] bad :
        new byte[][] {Arrays.copyOf(good, good.length - 1), badUtf8, unknownKind, {0x0A}}) {
      badRequest(
          () ->
              ClientCalls.blockingUnaryCall(
                  orch.channel,
                  OpaqueMethods.COMPLETE_TASK,
                  CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                  OpaqueCompleteTaskRequest.newBuilder()
                      .setTaskId(t.getTaskId())
                      .setLeaseToken(t.getLeaseToken())
                      .setWorkerId("w")
                      .setOutput(ByteString.copyFrom(bad))
                      .build()),
          "output");
    }
    assertThat(w.complete(t).getJobState()).isEqualTo(JobState.JOB_STATE_RUNNING);
    for (Task next = w.poll();
        next != null;
        next = w.poll(Duration.ofMillis(500), ScriptedWorker.PDF_PROCESSORS)) {
      w.complete(next);
    }
    assertThat(
            orch.client
                .getJobResult(GetJobResultRequest.newBuilder().setJobId(job.getId()).build())
                .getResult()
                .getValidation())
        .isEqualTo(ScriptedWorker.outputFor("pdf.validate").getValidation());
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }
}
