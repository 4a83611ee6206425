package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobsRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobsResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The orchestrator's limits over real gRPC: a full data directory (a real tmpfs filled to ENOSPC)
 * is UNAVAILABLE/STORE_FULL with RetryInfo on every submit path; a submit over the backlog limit is
 * refused before its document is written; a firehose reader past DOCMESH_WATCH_MAX_QUEUED is ended
 * WATCHER_TOO_SLOW with how to resume.
 */
class StoreLimitsTest {

  private static byte[] pdf(String marker) {
    return (new String(TestOrchestrator.PDF, StandardCharsets.US_ASCII) + "% " + marker + "\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static Path blobPath(Path dataDir, byte[] content) throws Exception {
    String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    return dataDir.resolve("blobs").resolve(hex.substring(0, 2)).resolve(hex.substring(2));
  }

  private static void assertStoreFull(StatusRuntimeException e) {
    assertThat(e.getStatus().getCode()).as(e.toString()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(Errors.reason(e)).as(e.toString()).contains("STORE_FULL");
    assertThat(Errors.detail(e, RetryInfo.class)).as("RetryInfo").isPresent();
  }

  @Test
  void aFullDiskIsUnavailableStoreFullOnEverySubmitPathAndSubmitsWorkAgainWhenSpaceReturns()
      throws Exception {
    Path dir = Files.createTempDirectory("docmesh-full-disk");
    Process mount =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", dir.toString())
            .inheritIO()
            .start();
    org.junit.jupiter.api.Assumptions.assumeTrue(mount.waitFor() == 0, "mount -t tmpfs needs root");
    try (TestOrchestrator orch = TestOrchestrator.start(dir)) {
      byte[] stored = pdf("stored before the disk fills");
      Job first =
          orch.submit(
              SubmitJobRequest.newBuilder()
                  .setContent(ByteString.copyFrom(stored))
                  .setFilename("a.pdf")
                  .build());
      String documentId = first.getDocument().getId();

      Path filler = dir.resolve("filler");
      try (OutputStream out = Files.newOutputStream(filler)) {
        byte[] mib = new byte[1 << 20];
        while (true) {
          out.write(mib);
        }
      } catch (IOException enospc) {
        assertThat(enospc.getMessage()).contains("No space left on device");
      }

      byte[] fresh = pdf("new bytes while the disk is full");
      assertThatThrownBy(
              () ->
                  orch.submit(
                      SubmitJobRequest.newBuilder()
                          .setContent(ByteString.copyFrom(fresh))
                          .setFilename("b.pdf")
                          .setRequestId("inline-full")
                          .build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, StoreLimitsTest::assertStoreFull);
      assertThat(blobPath(dir, fresh)).doesNotExist();

      // by document_id: the job store's writes (touch, insert) meet SQLITE_FULL sooner or later
      StatusRuntimeException refused = null;
      for (int i = 0; i < 500 && refused == null; i++) {
        try {
          orch.submit(
              SubmitJobRequest.newBuilder()
                  .setDocumentId(documentId)
                  .setFilename("c.pdf")
                  .setRequestId("by-id-" + i)
                  .build());
        } catch (StatusRuntimeException e) {
          refused = e;
        }
      }
      assertThat(refused).as("a submit by document_id refused on a full disk").isNotNull();
      assertStoreFull(refused);

      Files.delete(filler);
      Job again =
          orch.submit(
              SubmitJobRequest.newBuilder()
                  .setContent(ByteString.copyFrom(fresh))
                  .setFilename("b.pdf")
                  .setRequestId("inline-full")
                  .build());
      assertThat(again.getId()).isNotEmpty();
      assertThat(blobPath(dir, fresh)).exists();
    } finally {
      new ProcessBuilder("umount", "-l", dir.toString()).inheritIO().start().waitFor();
      Files.deleteIfExists(dir);
    }
  }

  @Test
  void
      aSubmitOverTheBacklogLimitIsRefusedBeforeItsDocumentIsWrittenAndARetryOfAnAcceptedOneIsAnswered()
          throws Exception {
    Path dir = Files.createTempDirectory("docmesh-backlog");
    // pdf-standard has more than one stage: one job fills a limit of its own size
    try (TestOrchestrator probe =
        TestOrchestrator.start(Files.createTempDirectory("docmesh-backlog-probe"))) {
      int stages = probe.submitPdf().getStagesCount();
      try (TestOrchestrator orch =
          TestOrchestrator.start(dir, Map.of("DOCMESH_MAX_PENDING_TASKS", "" + stages))) {
        byte[] a = pdf("accepted");
        SubmitJobRequest accepted =
            SubmitJobRequest.newBuilder()
                .setContent(ByteString.copyFrom(a))
                .setFilename("a.pdf")
                .setRequestId("accepted")
                .build();
        Job job = orch.submit(accepted);

        byte[] b = pdf("refused");
        assertThatThrownBy(
                () ->
                    orch.submit(
                        SubmitJobRequest.newBuilder()
                            .setContent(ByteString.copyFrom(b))
                            .setFilename("b.pdf")
                            .setRequestId("refused")
                            .build()))
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e -> {
                  assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                  assertThat(Errors.reason(e)).contains("QUEUE_FULL");
                  assertThat(Errors.detail(e, RetryInfo.class)).isPresent();
                });
        assertThat(blobPath(dir, b)).as("a refused submit stores no document").doesNotExist();
        assertThat(blobPath(dir, a)).exists();

        // the client's retry of the accepted submit gets its job even while the queue is full
        assertThat(orch.client.submitJob(accepted).getDeduplicated()).isTrue();
        assertThat(orch.client.submitJob(accepted).getJob().getId()).isEqualTo(job.getId());
      }
    }
  }

  @Test
  void aFirehoseReaderPastTheConfiguredLimitIsEndedWatcherTooSlowWithHowToResume()
      throws Exception {
    try (TestOrchestrator orch =
        TestOrchestrator.start(
            Files.createTempDirectory("docmesh-firehose"),
            Map.of("DOCMESH_WATCH_MAX_QUEUED", "5"))) {
      ManagedChannel small =
          NettyChannelBuilder.forAddress("127.0.0.1", orch.server.grpcPort())
              .usePlaintext()
              .flowControlWindow(16 * 1024)
              .build();
      AtomicReference<Throwable> ended = new AtomicReference<>();
      AtomicReference<ClientCallStreamObserver<WatchJobsRequest>> call = new AtomicReference<>();
      try {
        OrchestratorServiceGrpc.newStub(small)
            .watchJobs(
                WatchJobsRequest.getDefaultInstance(),
                new ClientResponseObserver<WatchJobsRequest, WatchJobsResponse>() {
                  @Override
                  public void beforeStart(ClientCallStreamObserver<WatchJobsRequest> c) {
                    c.disableAutoRequestWithInitial(0); // a reader that stopped
                    call.set(c);
                  }

                  @Override
                  public void onNext(WatchJobsResponse r) {}

                  @Override
                  public void onError(Throwable t) {
                    ended.set(t);
                  }

                  @Override
                  public void onCompleted() {
                    ended.set(new IllegalStateException("completed"));
                  }
                });
        // the firehose registers once the call reaches the server; its events then pile up unread
        // (16 KiB of client window and the server's 32 KiB before isReady() turns false hold far
        // fewer than 300 jobs' events)
        await().atMost(Duration.ofSeconds(30)).until(() -> call.get() != null);
        for (int i = 0; i < 300; i++) {
          orch.submitPdf();
        }
        call.get()
            .request(
                Integer.MAX_VALUE); // reading again: gRPC delivers the status after the buffered
        // messages
        await().atMost(Duration.ofSeconds(30)).until(() -> ended.get() != null);
        Throwable t = ended.get();
        assertThat(Status.fromThrowable(t).getCode())
            .as(t.toString())
            .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        ErrorInfo info = Errors.errorInfo(t).orElseThrow();
        assertThat(info.getReason()).isEqualTo("WATCHER_TOO_SLOW");
        assertThat(info.getMetadataMap())
            .containsEntry("max_queued", "5")
            .containsEntry("resume", "WatchJobs+ListJobs");
        assertThat(Status.fromThrowable(t).getDescription())
            .contains("DOCMESH_WATCH_MAX_QUEUED")
            .contains("ListJobs");
        assertThat(Errors.detail(t, RetryInfo.class)).isPresent();
      } finally {
        small.shutdownNow();
      }
    }
  }
}
