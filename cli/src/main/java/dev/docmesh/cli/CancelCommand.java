package dev.docmesh.cli;

import dev.docmesh.proto.orchestrator.v1.CancelJobRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "cancel",
    description = "Cancel a job; running stages stop at their next heartbeat.")
final class CancelCommand extends RemoteCommand {

  @Parameters(paramLabel = "JOB")
  String jobId;

  @Option(names = "--reason", description = "Recorded with the job.")
  String reason = "cancelled from the docmesh CLI";

  @Override
  protected int run(Clients clients, PrintWriter out) {
    Job job =
        clients
            .orchestrator()
            .cancelJob(CancelJobRequest.newBuilder().setJobId(jobId).setReason(reason).build())
            .getJob();
    print(out, job, o -> o.println(job.getId() + "  " + ProgressView.name(job.getState())));
    return Docmesh.OK;
  }
}
