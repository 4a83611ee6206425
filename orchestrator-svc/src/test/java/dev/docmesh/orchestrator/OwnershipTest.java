package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.docmesh.meshkit.security.BearerToken;
import dev.docmesh.meshkit.security.MeshChannels;
import dev.docmesh.meshkit.security.MeshSecurity;
import dev.docmesh.meshkit.security.Roles;
import dev.docmesh.meshkit.security.TlsFiles;
import dev.docmesh.meshkit.testing.TestPki;
import dev.docmesh.meshkit.testing.TestTokens;
import dev.docmesh.proto.orchestrator.v1.CancelJobRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobResultRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.ListJobsRequest;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.SubmitJobResponse;
import dev.docmesh.proto.orchestrator.v1.UploadDocumentRequest;
import dev.docmesh.proto.orchestrator.v1.UploadDocumentResponse;
import dev.docmesh.proto.orchestrator.v1.UploadHeader;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobsRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobsResponse;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ownership (issue 14) over TLS with bearer tokens: two clients, alice and bob, an operator and the
 * monitor. A client's job is NOT_FOUND to the other client on every job RPC, answered byte for byte
 * as a missing job; lists and the firehose show a client its own jobs only; request_id deduplicates
 * per principal; documents are usable by their uploaders; owners survive a restart.
 */
class OwnershipTest {
  @TempDir Path dir;
  private TestOrchestrator orch;
  private Map<String, String> tokens;
  private TlsFiles clientTls;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private OrchestratorServiceGrpc.OrchestratorServiceBlockingStub alice;
  private OrchestratorServiceGrpc.OrchestratorServiceBlockingStub bob;
  private OrchestratorServiceGrpc.OrchestratorServiceBlockingStub ops;
  private OrchestratorServiceGrpc.OrchestratorServiceBlockingStub mon;

  @BeforeEach
  void start() {
    TestPki pki = TestPki.create(dir.resolve("pki"), "owner");
    TestPki.Issued server = pki.issue("orchestrator");
    tokens =
        TestTokens.write(
            dir.resolve("tokens.yaml"),
            Map.of(
                "alice",
                List.of(Roles.CLIENT),
                "bob",
                List.of(Roles.CLIENT),
                "ops",
                List.of(Roles.OPERATOR),
                "mon",
                List.of(Roles.MONITOR)));
    orch =
        TestOrchestrator.start(
            dir.resolve("data"),
            Map.of(
                MeshSecurity.TLS_CERT_FILE, server.cert().toString(),
                MeshSecurity.TLS_KEY_FILE, server.key().toString(),
                MeshSecurity.AUTH_TOKENS_FILE, dir.resolve("tokens.yaml").toString()));
    clientTls =
        new TlsFiles(
            Optional.empty(), Optional.empty(), Optional.of(pki.caFile()), Duration.ofMinutes(1));
    connect();
  }

  private void connect() {
    alice = stub("alice");
    bob = stub("bob");
    ops = stub("ops");
    mon = stub("mon");
  }

  private OrchestratorServiceGrpc.OrchestratorServiceBlockingStub stub(String who) {
    return OrchestratorServiceGrpc.newBlockingStub(channel(who))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private ManagedChannel channel(String who) {
    ManagedChannel c =
        new MeshChannels(clientTls, Optional.of(BearerToken.of(tokens.get(who))))
            .forAddress("localhost", orch.server.grpcPort())
            .build();
    channels.add(c);
    return c;
  }

  private void restart() throws InterruptedException {
    closeChannels();
    orch.restart();
    connect();
  }

  private void closeChannels() {
    channels.forEach(ManagedChannel::shutdownNow);
    channels.clear();
  }

  @AfterEach
  void stop() {
    closeChannels();
    if (orch != null) {
      orch.close();
    }
    if (clientTls != null) {
      clientTls.close();
    }
  }

  private static SubmitJobRequest.Builder pdf() {
    return SubmitJobRequest.newBuilder()
        .setContent(ByteString.copyFrom(TestOrchestrator.PDF))
        .setFilename("t.pdf");
  }

  @Test
  void anotherClientsJobAnswersExactlyAsAMissingOneOnEveryJobRpc() throws Exception {
    Job job = alice.submitJob(pdf().build()).getJob();
    assertThat(job.getOwner()).isEqualTo("alice");
    String missing = Ids.newJobId(Instant.now());

    Map<String, Consumer<String>> rpcs = new TreeMap<>();
    rpcs.put("GetJob", id -> bob.getJob(GetJobRequest.newBuilder().setJobId(id).build()));
    rpcs.put(
        "CancelJob",
        id ->
            bob.cancelJob(
                CancelJobRequest.newBuilder().setJobId(id).setReason("mine now").build()));
    rpcs.put(
        "GetJobResult",
        id -> bob.getJobResult(GetJobResultRequest.newBuilder().setJobId(id).build()));
    rpcs.put(
        "WatchJob",
        id -> bob.watchJob(WatchJobRequest.newBuilder().setJobId(id).build()).hasNext());
    for (Map.Entry<String, Consumer<String>> rpc : rpcs.entrySet()) {
      String others = refusal(rpc.getValue(), job.getId());
      String absent = refusal(rpc.getValue(), missing);
      assertThat(others)
          .as(rpc.getKey())
          .startsWith("NOT_FOUND|job " + job.getId() + " not found|");
      assertThat(others.replace(job.getId(), "<id>"))
          .as(rpc.getKey())
          .isEqualTo(absent.replace(missing, "<id>"));
    }
    // bob's cancel changed nothing; alice, the operator and the monitor see the job
    assertThat(
            alice
                .getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build())
                .getJob()
                .getState())
        .isEqualTo(JobState.JOB_STATE_QUEUED);
    assertThat(
            mon.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build())
                .getJob()
                .getOwner())
        .isEqualTo("alice");
    assertThat(
            alice
                .watchJob(WatchJobRequest.newBuilder().setJobId(job.getId()).build())
                .next()
                .getEvent()
                .getJobId())
        .isEqualTo(job.getId());
    assertThat(
            ops.cancelJob(CancelJobRequest.newBuilder().setJobId(job.getId()).build())
                .getJob()
                .getState())
        .isEqualTo(JobState.JOB_STATE_CANCELLED);
    assertThat(
            alice
                .getJobResult(GetJobResultRequest.newBuilder().setJobId(job.getId()).build())
                .getResult()
                .getJobId())
        .isEqualTo(job.getId());
  }

  /**
   * Everything the caller learns from a refused call: code, message and every trailer (the
   * google.rpc details).
   */
  private static String refusal(Consumer<String> call, String id) {
    try {
      call.accept(id);
    } catch (StatusRuntimeException e) {
      StringBuilder s =
          new StringBuilder(e.getStatus().getCode() + "|" + e.getStatus().getDescription() + "|");
      Metadata trailers = e.getTrailers();
      for (String key : new java.util.TreeSet<>(trailers.keys())) {
        if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
          for (byte[] v : trailers.getAll(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER))) {
            s.append(key)
                .append('=')
                .append(new String(v, StandardCharsets.ISO_8859_1))
                .append('|');
          }
        } else {
          for (String v : trailers.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER))) {
            s.append(key).append('=').append(v).append('|');
          }
        }
      }
      assertThat(s).contains("grpc-status-details-bin=");
      return s.toString();
    }
    throw new AssertionError("the call with " + id + " succeeded");
  }

  @Test
  void listJobsAndWatchJobsShowAClientItsOwnJobsAndOperatorsAll() throws Exception {
    Firehose aliceSees = new Firehose(channel("alice"));
    Firehose bobSees = new Firehose(channel("bob"));
    Firehose opsSees = new Firehose(channel("ops"));
    try {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> orch.metrics().contains("docmesh_active_watchers 3.0"));
      Job b1 = bob.submitJob(pdf().build()).getJob();
      Job a1 = alice.submitJob(pdf().build()).getJob();
      Job a2 = alice.submitJob(pdf().build()).getJob();
      Job b2 = bob.submitJob(pdf().build()).getJob();

      assertThat(ids(alice.listJobs(ListJobsRequest.getDefaultInstance()).getJobsList()))
          .containsExactly(a2.getId(), a1.getId());
      assertThat(ids(bob.listJobs(ListJobsRequest.getDefaultInstance()).getJobsList()))
          .containsExactly(b2.getId(), b1.getId());
      assertThat(ids(ops.listJobs(ListJobsRequest.getDefaultInstance()).getJobsList()))
          .containsExactly(b2.getId(), a2.getId(), a1.getId(), b1.getId());
      assertThat(ids(mon.listJobs(ListJobsRequest.getDefaultInstance()).getJobsList())).hasSize(4);
      // paging keeps the filter
      var page = alice.listJobs(ListJobsRequest.newBuilder().setPageSize(1).build());
      assertThat(ids(page.getJobsList())).containsExactly(a2.getId());
      assertThat(
              ids(
                  alice
                      .listJobs(
                          ListJobsRequest.newBuilder()
                              .setPageSize(1)
                              .setPageToken(page.getNextPageToken())
                              .build())
                      .getJobsList()))
          .containsExactly(a1.getId());

      // each stream gets every event of a job in commit order, so once a reader has its own last
      // job's
      // event, the events it would have received before it are there too
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  aliceSees.jobs().contains(a2.getId())
                      && bobSees.jobs().contains(b2.getId())
                      && opsSees.jobs().contains(b2.getId()));
      assertThat(aliceSees.jobs()).containsExactly(a1.getId(), a2.getId());
      assertThat(bobSees.jobs()).containsExactly(b1.getId(), b2.getId());
      assertThat(opsSees.jobs()).containsExactly(b1.getId(), a1.getId(), a2.getId(), b2.getId());
      assertThat(aliceSees.got)
          .allSatisfy(r -> assertThat(r.getJob().getOwner()).isEqualTo("alice"));
    } finally {
      aliceSees.close();
      bobSees.close();
      opsSees.close();
    }
  }

  private static List<String> ids(List<Job> jobs) {
    return jobs.stream().map(Job::getId).toList();
  }

  /** A WatchJobs stream and what it received. */
  private static final class Firehose implements AutoCloseable {
    final List<WatchJobsResponse> got = new CopyOnWriteArrayList<>();
    private final Context.CancellableContext ctx = Context.current().withCancellation();

    Firehose(ManagedChannel channel) {
      ctx.run(
          () ->
              OrchestratorServiceGrpc.newStub(channel)
                  .watchJobs(
                      WatchJobsRequest.getDefaultInstance(),
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
    }

    List<String> jobs() {
      return got.stream().map(r -> r.getJob().getId()).distinct().toList();
    }

    @Override
    public void close() {
      ctx.cancel(null);
    }
  }

  @Test
  void requestIdDeduplicatesPerPrincipal() {
    SubmitJobRequest req = pdf().setRequestId("order-4711").build();
    SubmitJobResponse a = alice.submitJob(req);
    SubmitJobResponse b = bob.submitJob(req);
    assertThat(a.getDeduplicated()).isFalse();
    assertThat(b.getDeduplicated()).isFalse();
    assertThat(b.getJob().getId()).isNotEqualTo(a.getJob().getId());
    assertThat(b.getJob().getOwner()).isEqualTo("bob");

    SubmitJobResponse again = alice.submitJob(req);
    assertThat(again.getDeduplicated()).isTrue();
    assertThat(again.getJob().getId()).isEqualTo(a.getJob().getId());
    assertThat(bob.submitJob(req).getJob().getId()).isEqualTo(b.getJob().getId());
  }

  @Test
  void aDocumentIsUsableByItsUploadersAndThroughOwnJobsOnly() throws Exception {
    byte[] doc =
        (new String(TestOrchestrator.PDF, StandardCharsets.US_ASCII) + "% alice's upload\n")
            .getBytes(StandardCharsets.US_ASCII);
    String id = upload(channel("alice"), doc).getDocumentId();
    String missing = "sha256:" + "0".repeat(64);
    Consumer<String> bobSubmits =
        d -> bob.submitJob(SubmitJobRequest.newBuilder().setDocumentId(d).build());
    String refused = refusal(bobSubmits, id);
    assertThat(refused).startsWith("NOT_FOUND|document " + id + " not found|");
    assertThat(refused.replace(id, "<id>"))
        .isEqualTo(refusal(bobSubmits, missing).replace(missing, "<id>"));

    assertThat(
            alice
                .submitJob(SubmitJobRequest.newBuilder().setDocumentId(id).build())
                .getJob()
                .getDocument()
                .getId())
        .isEqualTo(id);
    assertThat(
            ops.submitJob(SubmitJobRequest.newBuilder().setDocumentId(id).build())
                .getJob()
                .getOwner())
        .isEqualTo("ops");
    // bob uploading the same bytes becomes an uploader too
    assertThat(upload(channel("bob"), doc).getDocumentId()).isEqualTo(id);
    assertThat(
            bob.submitJob(SubmitJobRequest.newBuilder().setDocumentId(id).build())
                .getJob()
                .getOwner())
        .isEqualTo("bob");

    // a document sent inline is reachable by id through the sender's own job, and only by it
    Job inline = alice.submitJob(pdf().build()).getJob();
    String inlineId = inline.getDocument().getId();
    assertThat(
            alice
                .submitJob(SubmitJobRequest.newBuilder().setDocumentId(inlineId).build())
                .getJob()
                .getDocument()
                .getId())
        .isEqualTo(inlineId);
    assertThat(refusal(bobSubmits, inlineId))
        .startsWith("NOT_FOUND|document " + inlineId + " not found|");
  }

  private static UploadDocumentResponse upload(ManagedChannel channel, byte[] bytes)
      throws Exception {
    CompletableFuture<UploadDocumentResponse> result = new CompletableFuture<>();
    StreamObserver<UploadDocumentRequest> up =
        OrchestratorServiceGrpc.newStub(channel)
            .uploadDocument(
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
            .setHeader(UploadHeader.newBuilder().setFilename("doc.pdf").setSizeBytes(bytes.length))
            .build());
    up.onNext(UploadDocumentRequest.newBuilder().setChunk(ByteString.copyFrom(bytes)).build());
    up.onCompleted();
    return result.get(30, TimeUnit.SECONDS);
  }

  @Test
  void ownersSurviveARestart() throws Exception {
    Job job = alice.submitJob(pdf().setRequestId("r-1").build()).getJob();
    byte[] doc =
        (new String(TestOrchestrator.PDF, StandardCharsets.US_ASCII) + "% kept\n")
            .getBytes(StandardCharsets.US_ASCII);
    String docId = upload(channel("alice"), doc).getDocumentId();
    Job done =
        alice
            .cancelJob(
                CancelJobRequest.newBuilder()
                    .setJobId(alice.submitJob(pdf().build()).getJob().getId())
                    .build())
            .getJob();

    restart();

    // an unfinished job (rebuilt in memory) and a finished one (read from the file)
    for (Job j : List.of(job, done)) {
      assertThat(
              alice
                  .getJob(GetJobRequest.newBuilder().setJobId(j.getId()).build())
                  .getJob()
                  .getOwner())
          .isEqualTo("alice");
      assertThatThrownBy(() -> bob.getJob(GetJobRequest.newBuilder().setJobId(j.getId()).build()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }
    assertThat(bob.listJobs(ListJobsRequest.getDefaultInstance()).getJobsList()).isEmpty();
    assertThat(alice.submitJob(pdf().setRequestId("r-1").build()).getJob().getId())
        .isEqualTo(job.getId());
    assertThat(bob.submitJob(pdf().setRequestId("r-1").build()).getJob().getId())
        .isNotEqualTo(job.getId());
    assertThat(
            alice
                .submitJob(SubmitJobRequest.newBuilder().setDocumentId(docId).build())
                .getJob()
                .getOwner())
        .isEqualTo("alice");
    assertThatThrownBy(
            () -> bob.submitJob(SubmitJobRequest.newBuilder().setDocumentId(docId).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }
}
