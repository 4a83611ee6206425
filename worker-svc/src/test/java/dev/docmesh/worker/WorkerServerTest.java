package dev.docmesh.worker;

import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.meshkit.testing.StandardServerChecks;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The worker starts from its real wiring and behaves as every docmesh server must. */
class WorkerServerTest {
  @Test
  void servesHealthReflectionErrorDetailsMetricsAndShutsDownGracefully() throws Exception {
    try (MeshServer server = WorkerMain.start(Loopback.env())) {
      StandardServerChecks.assertServing(server, List.of("docmesh.worker.v1.WorkerService"));
      StandardServerChecks.assertErrorDetailsReadableThroughReflection(
          server,
          ch ->
              dev.docmesh.proto.worker.v1.WorkerServiceGrpc.newBlockingStub(ch)
                  .drain(
                      dev.docmesh.proto.worker.v1.DrainRequest.newBuilder()
                          .setGrace(com.google.protobuf.Duration.newBuilder().setSeconds(-1))
                          .build()),
          "grace");
      StandardServerChecks.assertMetricsEndpoint(server);
      StandardServerChecks.assertGracefulShutdown(server);
    }
  }

  @Test
  void aBadSettingStopsTheProcessWithExitCodeTwo(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    dev.docmesh.meshkit.testing.ServiceProcess.assertBadSettingExitsTwo(
        WorkerMain.class, "DOCMESH_WORKER_SLOTS", "none", dir);
  }
}
