package dev.docmesh.orchestrator;

import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.meshkit.testing.StandardServerChecks;
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
}
