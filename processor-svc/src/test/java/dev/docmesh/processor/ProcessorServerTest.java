package dev.docmesh.processor;

import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.meshkit.testing.StandardServerChecks;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The processor starts from its real wiring and behaves as every docmesh server must. */
class ProcessorServerTest {
  @Test
  void servesHealthReflectionErrorDetailsMetricsAndShutsDownGracefully() throws Exception {
    try (MeshServer server = ProcessorMain.start(Loopback.env())) {
      StandardServerChecks.assertServing(server, List.of("docmesh.processor.v1.ProcessorService"));
      StandardServerChecks.assertErrorDetailsReadableThroughReflection(
          server,
          ch ->
              dev.docmesh.proto.processor.v1.ProcessorServiceGrpc.newBlockingStub(ch)
                  .process(
                      dev.docmesh.proto.processor.v1.ProcessRequest.newBuilder()
                          .setProcessor("pdf.text")
                          .putOptions("no_such_option", "true")
                          .build())
                  .hasNext(),
          "options.no_such_option");
      StandardServerChecks.assertMetricsEndpoint(server);
      StandardServerChecks.assertGracefulShutdown(server);
    }
  }

  @Test
  void aBadSettingStopsTheProcessWithExitCodeTwo(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    dev.docmesh.meshkit.testing.ServiceProcess.assertBadSettingExitsTwo(
        ProcessorMain.class, "DOCMESH_PROCESSOR_MAX_PAGES", "many", dir);
  }
}
