package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.docmesh.proto.orchestrator.v1.ListJobsRequest;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.SubmitJobResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same request_id answers the same job, also when the duplicates arrive together. */
class IdempotentSubmitTest {
  @TempDir Path data;

  @Test
  void concurrentDuplicatesMakeExactlyOneJob() throws Exception {
    int callers = 16;
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try (TestOrchestrator orch = TestOrchestrator.start(data)) {
      SubmitJobRequest req =
          SubmitJobRequest.newBuilder()
              .setContent(ByteString.copyFrom(TestOrchestrator.PDF))
              .setRequestId("3f1c9a52-dup")
              .build();
      CountDownLatch go = new CountDownLatch(1);
      List<Future<SubmitJobResponse>> answers = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        answers.add(
            pool.submit(
                () -> {
                  go.await();
                  return orch.client.submitJob(req);
                }));
      }
      go.countDown();
      List<SubmitJobResponse> rs = new ArrayList<>();
      for (Future<SubmitJobResponse> f : answers) {
        rs.add(f.get());
      }
      assertThat(rs).extracting(r -> r.getJob().getId()).containsOnly(rs.get(0).getJob().getId());
      assertThat(rs).filteredOn(r -> !r.getDeduplicated()).hasSize(1);
      assertThat(rs.get(0).getJob().getRequestId()).isEqualTo("3f1c9a52-dup");
      assertThat(rs.get(0).getJob().getOwner()).as("authentication off").isEqualTo("anonymous");
      assertThat(orch.client.listJobs(ListJobsRequest.getDefaultInstance()).getJobsCount())
          .isEqualTo(1);
      // a different id is a different job
      SubmitJobResponse other =
          orch.client.submitJob(req.toBuilder().setRequestId("another").build());
      assertThat(other.getDeduplicated()).isFalse();
      assertThat(other.getJob().getId()).isNotEqualTo(rs.get(0).getJob().getId());
    } finally {
      pool.shutdownNow();
    }
  }
}
