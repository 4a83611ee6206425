package dev.docmesh.monitor;

import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.meshkit.testing.StandardServerChecks;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The monitor starts from its real wiring and behaves as every docmesh server must. */
class MonitorServerTest {
  @Test
  void servesHealthReflectionErrorDetailsMetricsAndShutsDownGracefully() throws Exception {
    try (MeshServer server = MonitorMain.start(Loopback.env())) {
      StandardServerChecks.assertServing(server, List.of("docmesh.monitor.v1.MonitorService"));
      StandardServerChecks.assertErrorDetailsReadableThroughReflection(
          server,
          ch ->
              dev.docmesh.proto.monitor.v1.MonitorServiceGrpc.newBlockingStub(ch)
                  .silenceAlert(
                      dev.docmesh.proto.monitor.v1.SilenceAlertRequest.getDefaultInstance()),
          "rule");
      StandardServerChecks.assertMetricsEndpoint(server);
      StandardServerChecks.assertGracefulShutdown(server);
    }
  }

  @Test
  void aBadSettingStopsTheProcessWithExitCodeTwo(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    dev.docmesh.meshkit.testing.ServiceProcess.assertBadSettingExitsTwo(
        MonitorMain.class, "DOCMESH_MONITOR_DOWN_AFTER", "soon", dir);
  }
}
