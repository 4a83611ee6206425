package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.rpc.RetryInfo;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.orchestrator.store.TestPostgres;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.ListJobsRequest;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.Task;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full PostgreSQL over real gRPC: the server itself answers SQLSTATE 53100 disk_full (raised by a
 * trigger on the real server, the error a tablespace out of space gives), and every path maps it to
 * the same failure as SQLite's full disk: UNAVAILABLE, ErrorInfo STORE_FULL, RetryInfo. Another
 * class-53 error (out of memory) is STORE_UNAVAILABLE. Once the server accepts writes again the
 * same requests succeed, and nothing of the refused ones was kept.
 */
class PostgresStoreFullTest {
  @TempDir Path dir;
  String url;
  TestOrchestrator orch;

  @BeforeEach
  void start() throws Exception {
    url = TestPostgres.newDatabase();
    orch = TestOrchestrator.start(dir, PostgresReplicasTest.postgres(url));
    sql(
        "CREATE FUNCTION docmesh_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
            + " BEGIN RAISE EXCEPTION 'refused by the test (%)', TG_ARGV[0]"
            + " USING ERRCODE = TG_ARGV[0]; END $$");
  }

  @AfterEach
  void stop() {
    orch.close();
  }

  private void sql(String statement) throws Exception {
    try (Connection c =
            DriverManager.getConnection(url, TestPostgres.user(), TestPostgres.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }

  /**
   * Every insert into {@code table} fails with SQLSTATE {@code condition} until {@link #accept}.
   */
  private void refuse(String table, String condition) throws Exception {
    sql(
        "CREATE TRIGGER refuse_"
            + table
            + " BEFORE INSERT ON "
            + table
            + " FOR EACH ROW EXECUTE FUNCTION docmesh_test_refuse('"
            + condition
            + "')");
  }

  private void accept(String table) throws Exception {
    sql("DROP TRIGGER refuse_" + table + " ON " + table);
  }

  private static SubmitJobRequest inline(String marker, String requestId) {
    byte[] pdf =
        (new String(TestOrchestrator.PDF, StandardCharsets.US_ASCII) + "% " + marker + "\n")
            .getBytes(StandardCharsets.US_ASCII);
    return SubmitJobRequest.newBuilder()
        .setContent(ByteString.copyFrom(pdf))
        .setFilename("t.pdf")
        .setRequestId(requestId)
        .build();
  }

  private static void assertRefused(StatusRuntimeException e, String reason) {
    assertThat(e.getStatus().getCode()).as(e.toString()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(Errors.reason(e)).as(e.toString()).contains(reason);
    assertThat(Errors.detail(e, RetryInfo.class)).as("RetryInfo").isPresent();
  }

  private int jobCount() {
    return orch.client
        .listJobs(ListJobsRequest.newBuilder().setPageSize(100).build())
        .getJobsCount();
  }

  @Test
  void diskFullOnEveryWritePathIsStoreFullAndTheSameRequestsSucceedOnceThereIsSpace()
      throws Exception {
    Job stored = orch.submit(inline("stored before", ""));

    // A new document: its chunks are the first write.
    refuse("blob_chunks", "disk_full");
    assertThatThrownBy(() -> orch.submit(inline("new bytes", "inline")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertRefused(e, "STORE_FULL"));
    // A stored document by id: the job's row is the write.
    refuse("jobs", "disk_full");
    SubmitJobRequest byId =
        SubmitJobRequest.newBuilder()
            .setDocumentId(stored.getDocument().getId())
            .setFilename("t.pdf")
            .setRequestId("by-id")
            .build();
    assertThatThrownBy(() -> orch.submit(byId))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertRefused(e, "STORE_FULL"));
    assertThat(jobCount()).isEqualTo(1);

    // A worker's result: its events are the write; the lease stays as it was.
    Task t = orch.worker("w").poll();
    assertThat(t).isNotNull();
    refuse("events", "disk_full");
    CompleteTaskRequest complete =
        CompleteTaskRequest.newBuilder()
            .setTaskId(t.getTaskId())
            .setLeaseToken(t.getLeaseToken())
            .setWorkerId("w")
            .setOutput(ScriptedWorker.outputFor(t.getProcessor()))
            .build();
    assertThatThrownBy(() -> orch.queue.completeTask(complete))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertRefused(e, "STORE_FULL"));

    accept("blob_chunks");
    accept("jobs");
    accept("events");
    orch.queue.completeTask(complete);
    Job inline = orch.submit(inline("new bytes", "inline"));
    Job again = orch.submit(byId);
    assertThat(orch.submit(inline("new bytes", "inline")).getId()).isEqualTo(inline.getId());
    assertThat(again.getDocument().getId()).isEqualTo(stored.getDocument().getId());
    assertThat(jobCount()).isEqualTo(3);
    assertThat(
            orch.client
                .getJob(GetJobRequest.newBuilder().setJobId(t.getJobId()).build())
                .getJob()
                .getState())
        .isEqualTo(JobState.JOB_STATE_RUNNING);
  }

  @Test
  void otherInsufficientResourcesAreStoreUnavailable() throws Exception {
    refuse("jobs", "out_of_memory"); // SQLSTATE 53200: class 53, but not space
    assertThatThrownBy(() -> orch.submit(inline("oom", "oom")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertRefused(e, "STORE_UNAVAILABLE"));
    accept("jobs");
    assertThat(orch.submit(inline("oom", "oom")).getId()).isNotEmpty();
  }
}
