package dev.docmesh.orchestrator;

import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.meshkit.testing.StandardServerChecks;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The orchestrator starts from its real wiring and behaves as every docmesh server must. */
class OrchestratorServerTest {
  @Test
  void servesHealthReflectionMetricsAndShutsDownGracefully() throws Exception {
    try (MeshServer server = OrchestratorMain.start(Loopback.env())) {
      StandardServerChecks.assertServing(server, List.of("docmesh.orchestrator.v1.OrchestratorService", "docmesh.orchestrator.v1.TaskQueueService"));
      StandardServerChecks.assertMetricsEndpoint(server);
      StandardServerChecks.assertGracefulShutdown(server);
    }
  }
}
