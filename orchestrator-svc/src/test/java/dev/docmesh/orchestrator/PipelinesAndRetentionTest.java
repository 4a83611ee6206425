package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.docmesh.meshkit.config.ConfigException;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.meshkit.testing.TestClock;
import dev.docmesh.proto.orchestrator.v1.CancelJobRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.ListPipelinesRequest;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.Task;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pipelines from YAML (validated at start-up), and retention of finished jobs and their documents.
 */
class PipelinesAndRetentionTest {
  @TempDir Path data;

  @Test
  void pipelinesFromYamlAreListedAndRunnable() throws Exception {
    Path file = data.resolve("pipelines.yaml");
    Files.writeString(
        file,
        """
        pipelines:
          - name: markdown-quick
            description: structure of a Markdown file
            stages:
              - name: elements
                processor: text.markdown
                timeout: 20s
                retry: {max_attempts: 5, initial_backoff: 200ms, max_backoff: 2s, backoff_multiplier: 3}
                options: {flavour: gfm}
              - name: plain
                processor: text.plain
                after: [elements]
        """);
    try (TestOrchestrator orch =
        TestOrchestrator.start(
            data.resolve("d"), Map.of("DOCMESH_PIPELINES_FILE", file.toString()))) {
      List<Pipeline> all =
          orch.client.listPipelines(ListPipelinesRequest.getDefaultInstance()).getPipelinesList();
      assertThat(all)
          .extracting(Pipeline::getName)
          .containsExactly("markdown-quick", "pdf-standard");
      Job job =
          orch.submit(
              SubmitJobRequest.newBuilder()
                  .setContent(ByteString.copyFromUtf8("# Title"))
                  .setFilename("a.md")
                  .setPipeline("markdown-quick")
                  .build());
      assertThat(job.getDocument().getMediaType()).isEqualTo("text/markdown");
      assertThat(job.getStages(0).getMaxAttempts()).isEqualTo(5);
      Task t = orch.worker("w").poll(Duration.ofSeconds(5), List.of("text.markdown", "text.plain"));
      assertThat(t.getStage()).isEqualTo("elements");
      assertThat(t.getOptionsMap()).containsEntry("flavour", "gfm");
      assertThat(t.getTimeout().getSeconds()).isEqualTo(20);
    }
  }

  @Test
  void anInvalidPipelinesFileStopsTheStartWithTheFieldNamed() throws Exception {
    Path cycle = data.resolve("cycle.yaml");
    Files.writeString(
        cycle,
        """
        pipelines:
          - name: loop
            stages:
              - {name: a, processor: pdf.text, after: [b]}
              - {name: b, processor: pdf.text, after: [a]}
        """);
    assertThatThrownBy(
            () ->
                OrchestratorMain.start(
                    Loopback.env(
                        Map.of(
                            "DOCMESH_DATA_DIR",
                            data.resolve("d1").toString(),
                            "DOCMESH_PIPELINES_FILE",
                            cycle.toString()))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("pipelines[0].stages[0].after")
        .hasMessageContaining("cycle");
    Path unknown = data.resolve("unknown.yaml");
    Files.writeString(
        unknown, "pipelines:\n  - name: x\n    stages:\n      - {name: a, processor: pdf.ocr}\n");
    assertThatThrownBy(
            () ->
                OrchestratorMain.start(
                    Loopback.env(
                        Map.of(
                            "DOCMESH_DATA_DIR",
                            data.resolve("d2").toString(),
                            "DOCMESH_PIPELINES_FILE",
                            unknown.toString()))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("pipelines[0].stages[0].processor");
    Path typo = data.resolve("typo.yaml");
    Files.writeString(
        typo,
        "pipelines:\n  - name: x\n    stages:\n      - {name: a, processor: pdf.text, afterr: []}\n");
    assertThatThrownBy(
            () ->
                OrchestratorMain.start(
                    Loopback.env(
                        Map.of(
                            "DOCMESH_DATA_DIR",
                            data.resolve("d3").toString(),
                            "DOCMESH_PIPELINES_FILE",
                            typo.toString()))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown key 'afterr'");
    Path scalar = data.resolve("scalar.yaml");
    Files.writeString(
        scalar,
        "pipelines:\n  - name: x\n    stages:\n      - {name: a, processor: pdf.text}\n      - {name: b, processor: pdf.text, after: a}\n");
    assertThatThrownBy(
            () ->
                OrchestratorMain.start(
                    Loopback.env(
                        Map.of(
                            "DOCMESH_DATA_DIR",
                            data.resolve("d4").toString(),
                            "DOCMESH_PIPELINES_FILE",
                            scalar.toString()))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("pipelines[0].stages[1].after: expected a list");
  }

  @Test
  void finishedJobsAndTheirDocumentsExpireAfterTheRetention() throws Exception {
    TestClock clock = TestClock.frozen();
    try (TestOrchestrator orch =
        TestOrchestrator.start(
            data,
            Map.of("DOCMESH_RETENTION", "1h", "DOCMESH_RETENTION_SWEEP_INTERVAL", "100ms"),
            clock)) {
      Job finished = orch.submitPdf();
      Job running =
          orch.submit(
              SubmitJobRequest.newBuilder()
                  .setContent(ByteString.copyFromUtf8("other bytes"))
                  .build());
      orch.client.cancelJob(CancelJobRequest.newBuilder().setJobId(finished.getId()).build());
      Path blobs = data.resolve("blobs");
      assertThat(blobFiles(blobs)).hasSize(2);
      clock.advance(Duration.ofMinutes(59));
      // several sweeps run meanwhile and must not remove it yet
      await()
          .during(Duration.ofMillis(400))
          .atMost(Duration.ofSeconds(2))
          .until(
              () ->
                  orch.client
                      .getJob(GetJobRequest.newBuilder().setJobId(finished.getId()).build())
                      .getJob()
                      .getId()
                      .equals(finished.getId()));
      clock.advance(Duration.ofMinutes(2));
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () -> {
                StatusRuntimeException e =
                    org.assertj.core.api.Assertions.catchThrowableOfType(
                        StatusRuntimeException.class,
                        () ->
                            orch.client.getJob(
                                GetJobRequest.newBuilder().setJobId(finished.getId()).build()));
                assertThat(e).isNotNull();
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
              });
      assertThat(blobFiles(blobs)).as("the unfinished job's document stays").hasSize(1);
      assertThat(
              orch.client
                  .getJob(GetJobRequest.newBuilder().setJobId(running.getId()).build())
                  .getJob()
                  .getId())
          .isEqualTo(running.getId());
    }
  }

  private static List<Path> blobFiles(Path blobs) throws Exception {
    try (var files = Files.walk(blobs)) {
      return files.filter(Files::isRegularFile).toList();
    }
  }
}
