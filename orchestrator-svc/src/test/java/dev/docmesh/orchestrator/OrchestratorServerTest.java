package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.meshkit.testing.ReflectionClient;
import dev.docmesh.meshkit.testing.StandardServerChecks;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The orchestrator starts from its real wiring and behaves as every docmesh server must. */
class OrchestratorServerTest {
  @TempDir Path data;

  @Test
  void servesHealthReflectionErrorDetailsMetricsAndShutsDownGracefully() throws Exception {
    try (MeshServer server =
        OrchestratorMain.start(Loopback.env(Map.of("DOCMESH_DATA_DIR", data.toString())))) {
      StandardServerChecks.assertServing(
          server,
          List.of(
              "docmesh.orchestrator.v1.OrchestratorService",
              "docmesh.orchestrator.v1.TaskQueueService"));
      StandardServerChecks.assertErrorDetailsReadableThroughReflection(
          server,
          ch ->
              dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc.newBlockingStub(ch)
                  .submitJob(
                      dev.docmesh.proto.orchestrator.v1.SubmitJobRequest.newBuilder()
                          .setDocumentId("sha256-none")
                          .setPriority(500)
                          .build()),
          "priority");
      assertReflectionDescribesThePublicTaskMessages(server);
      StandardServerChecks.assertMetricsEndpoint(server);
      StandardServerChecks.assertGracefulShutdown(server);
    }
  }

  @Test
  void aBadSettingStopsTheProcessWithExitCodeTwo(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    dev.docmesh.meshkit.testing.ServiceProcess.assertBadSettingExitsTwo(
        OrchestratorMain.class, "DOCMESH_POLL_WAIT", "a while", dir);
  }

  /**
   * PollTask and CompleteTask are served with the opaque twins of their messages: grpcurl and ghz
   * must still see the public ones, with typed outputs.
   */
  private static void assertReflectionDescribesThePublicTaskMessages(MeshServer server)
      throws Exception {
    ManagedChannel ch = Loopback.channel(server.grpcPort());
    try {
      ServiceDescriptor queue =
          new ReflectionClient(ch, ReflectionClient.Version.V1)
              .serviceType("docmesh.orchestrator.v1.TaskQueueService");
      assertThat(queue.findMethodByName("PollTask").getOutputType().getFullName())
          .isEqualTo("docmesh.orchestrator.v1.PollTaskResponse");
      Descriptor complete = queue.findMethodByName("CompleteTask").getInputType();
      assertThat(complete.getFullName()).isEqualTo("docmesh.orchestrator.v1.CompleteTaskRequest");
      assertThat(complete.findFieldByName("output").getMessageType().getFullName())
          .isEqualTo("docmesh.document.v1.StageOutput");
      Descriptor task =
          queue
              .findMethodByName("PollTask")
              .getOutputType()
              .findFieldByName("task")
              .getMessageType();
      assertThat(
              task.findFieldByName("upstream")
                  .getMessageType()
                  .findFieldByName("output")
                  .getMessageType()
                  .getFullName())
          .isEqualTo("docmesh.document.v1.StageOutput");
    } finally {
      ch.shutdownNow();
    }
  }
}
