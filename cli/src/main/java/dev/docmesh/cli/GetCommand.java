package dev.docmesh.cli;

import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.StageStatus;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "get", description = "Show one job and its stages.")
final class GetCommand extends RemoteCommand {

  @Parameters(paramLabel = "JOB")
  String jobId;

  @Override
  protected int run(Clients clients, PrintWriter out) {
    Job job =
        clients.orchestrator().getJob(GetJobRequest.newBuilder().setJobId(jobId).build()).getJob();
    print(out, job, o -> describe(o, job));
    return Docmesh.OK;
  }

  static void describe(PrintWriter out, Job job) {
    out.printf(
        "job       %s%nstate     %s%npipeline  %s%ndocument  %s (%s, %d bytes)%nprogress  %.1f%%%n",
        job.getId(),
        ProgressView.name(job.getState()),
        job.getPipeline(),
        job.getDocument().getFilename(),
        job.getDocument().getId(),
        job.getDocument().getSizeBytes(),
        job.getProgressPercent());
    if (job.hasError()) {
      out.printf(
          "error     %s %s: %s%n",
          job.getError().getStage(), job.getError().getReason(), job.getError().getMessage());
    }
    if (!job.getLabelsMap().isEmpty()) {
      out.printf("labels    %s%n", job.getLabelsMap());
    }
    List<String[]> rows = new ArrayList<>();
    for (StageStatus s : job.getStagesList()) {
      rows.add(
          new String[] {
            s.getName(),
            s.getProcessor(),
            ProgressView.name(s.getState()),
            s.getAttempt() + "/" + s.getMaxAttempts(),
            s.getWorkerId(),
            s.hasLastError() ? s.getLastError().getReason() : ""
          });
    }
    out.println();
    Output.table(
        out, new String[] {"STAGE", "PROCESSOR", "STATE", "ATTEMPT", "WORKER", "LAST ERROR"}, rows);
  }
}
