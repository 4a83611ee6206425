package dev.docmesh.worker;

import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.meshkit.testing.StandardServerChecks;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The worker starts from its real wiring and behaves as every docmesh server must. */
class WorkerServerTest {
  @Test
  void servesHealthReflectionMetricsAndShutsDownGracefully() throws Exception {
    try (MeshServer server = WorkerMain.start(Loopback.env())) {
      StandardServerChecks.assertServing(server, List.of("docmesh.worker.v1.WorkerService"));
      StandardServerChecks.assertMetricsEndpoint(server);
      StandardServerChecks.assertGracefulShutdown(server);
    }
  }
}
