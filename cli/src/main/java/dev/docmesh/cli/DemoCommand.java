package dev.docmesh.cli;

import dev.docmesh.localmesh.LocalMesh;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobResultRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobResult;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The first thing a new user runs: the local mesh, a handful of generated PDFs (plus any files
 * given) through {@code pdf-standard} with live progress, and a results table.
 */
@Command(
    name = "demo",
    description =
        "Start the local mesh, process generated PDFs (and FILEs) with live progress, print a results table.")
final class DemoCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(arity = "0..*", paramLabel = "FILE", description = "More documents to process.")
  List<Path> files = new ArrayList<>();

  @Option(
      names = "--exit",
      description = "Stop the mesh after the results instead of staying up for grpcurl.")
  boolean exit;

  @Option(
      names = "--data-dir",
      description =
          "Where the embedded store keeps jobs and documents (default: ${DEFAULT-VALUE}).",
      defaultValue = "${env:DOCMESH_DATA_DIR:-data}")
  Path dataDir;

  @Option(
      names = "--ephemeral-ports",
      hidden = true,
      description = "Let the OS pick every port (tests).")
  boolean ephemeralPorts;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Path docs = Files.createDirectories(dataDir.resolve("demo"));
    List<Path> inputs = new ArrayList<>(DemoDocuments.generate(docs));
    inputs.addAll(files);

    LocalMesh mesh =
        LocalMesh.builder(dataDir)
            .environment(System.getenv())
            .ephemeralPorts(ephemeralPorts)
            .start();
    boolean closed = false;
    try {
      GlobalOptions target = GlobalOptions.fromEnvironment();
      target.target = mesh.orchestratorTarget();
      target.monitorTarget = mesh.monitorTarget();
      target.processorTarget = mesh.processorTarget();
      int code;
      try (Clients clients = new Clients(target)) {
        Map<Job, Path> jobs = new LinkedHashMap<>();
        for (Path f : inputs) {
          String id = SubmitCommand.upload(clients, f);
          Job job =
              clients
                  .orchestrator()
                  .submitJob(
                      SubmitJobRequest.newBuilder()
                          .setDocumentId(id)
                          .setFilename(f.getFileName().toString())
                          .putLabels("source", "demo")
                          .setRequestId(UUID.randomUUID().toString())
                          .build())
                  .getJob();
          jobs.put(job, f);
        }
        out.printf("submitted %d jobs to pdf-standard%n%n", jobs.size());
        code = SubmitCommand.follow(clients, jobs, out, false);
        out.println();
        results(out, clients, jobs);
      }
      if (exit) {
        return code;
      }
      UpCommand.printEndpoints(out, mesh);
      closed = true;
      mesh.runUntilInterrupted(out);
      return code;
    } finally {
      if (!closed) {
        mesh.close();
      }
    }
  }

  private void results(PrintWriter out, Clients clients, Map<Job, Path> jobs) {
    List<String[]> rows = new ArrayList<>();
    for (Map.Entry<Job, Path> e : jobs.entrySet()) {
      Job job =
          clients
              .orchestrator()
              .getJob(GetJobRequest.newBuilder().setJobId(e.getKey().getId()).build())
              .getJob();
      String pages = "-", title = "-", producer = "-", elements = "-";
      if (job.getState() == JobState.JOB_STATE_SUCCEEDED) {
        JobResult r =
            clients
                .orchestrator()
                .getJobResult(GetJobResultRequest.newBuilder().setJobId(job.getId()).build())
                .getResult();
        pages = String.valueOf(r.getMetadata().getPageCount());
        title = r.getMetadata().getTitle();
        producer = r.getMetadata().getProducer();
        elements = String.valueOf(r.getElementsCount());
      }
      Duration took =
          Duration.ofSeconds(
              job.getEndTime().getSeconds() - job.getCreateTime().getSeconds(),
              job.getEndTime().getNanos() - job.getCreateTime().getNanos());
      String state =
          job.getState() == JobState.JOB_STATE_SUCCEEDED
              ? "ok"
              : ProgressView.name(job.getState())
                  + (job.hasError() ? " (" + job.getError().getReason() + ")" : "");
      rows.add(
          new String[] {
            e.getValue().getFileName().toString(),
            state,
            pages,
            title,
            producer,
            elements,
            String.format("%.2f s", took.toMillis() / 1000.0)
          });
    }
    Output.table(
        out,
        new String[] {"FILE", "STATE", "PAGES", "TITLE", "PRODUCER", "ELEMENTS", "TIME"},
        rows);
  }
}
