package dev.docmesh.cli;

import dev.docmesh.localmesh.LocalMesh;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Runs the whole mesh in this JVM until Ctrl-C, which drains the worker and stops cleanly. */
@Command(
    name = "up",
    description =
        "Start all four services locally (one JVM, each a real gRPC server on its usual port).")
final class UpCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--data-dir",
      description =
          "Where the embedded store keeps jobs and documents (default: ${DEFAULT-VALUE}).",
      defaultValue = "${env:DOCMESH_DATA_DIR:-data}")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    LocalMesh mesh = LocalMesh.builder(dataDir).environment(System.getenv()).start();
    printEndpoints(out, mesh);
    mesh.runUntilInterrupted(out);
    return Docmesh.OK;
  }

  static void printEndpoints(PrintWriter out, LocalMesh mesh) {
    out.printf(
        """
        docmesh is up (data in the embedded store; Ctrl-C drains and stops)

          orchestrator  localhost:%d   metrics http://localhost:%d/metrics
          processor     localhost:%d   metrics http://localhost:%d/metrics
          worker        localhost:%d   metrics http://localhost:%d/metrics
          monitor       localhost:%d   dashboard http://localhost:%d/

        try:
          grpcurl -plaintext localhost:%d list
          grpcurl -plaintext localhost:%d docmesh.orchestrator.v1.OrchestratorService/ListPipelines
          grpcurl -plaintext -d "{\\"content\\": \\"$(base64 -w0 some.pdf)\\", \\"filename\\": \\"some.pdf\\"}" localhost:%d docmesh.orchestrator.v1.OrchestratorService/SubmitJob
          grpcurl -plaintext -d '{"job_id": "JOB"}' localhost:%d docmesh.orchestrator.v1.OrchestratorService/WatchJob
          grpcurl -plaintext localhost:%d docmesh.monitor.v1.MonitorService/GetSystemStatus
          grpcurl -plaintext localhost:%d grpc.health.v1.Health/Check
        """,
        mesh.orchestrator().grpcPort(),
        mesh.orchestrator().metricsPort(),
        mesh.processor().grpcPort(),
        mesh.processor().metricsPort(),
        mesh.workers().get(0).grpcPort(),
        mesh.workers().get(0).metricsPort(),
        mesh.monitor().grpcPort(),
        mesh.monitor().metricsPort(),
        mesh.orchestrator().grpcPort(),
        mesh.orchestrator().grpcPort(),
        mesh.orchestrator().grpcPort(),
        mesh.orchestrator().grpcPort(),
        mesh.monitor().grpcPort(),
        mesh.orchestrator().grpcPort());
    out.flush();
  }
}
