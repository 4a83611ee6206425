package dev.docmesh.cli;

import dev.docmesh.proto.orchestrator.v1.CancelJobRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "cancel", description = "Cancel a job; running stages stop at their next heartbeat.")
final class CancelCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "JOB") String jobId;

  @Option(names = "--reason", description = "Recorded with the job.")
  String reason = "cancelled from the docmesh CLI";

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (Clients clients = new Clients(global)) {
      Job job = clients.orchestrator().cancelJob(CancelJobRequest.newBuilder().setJobId(jobId).setReason(reason).build()).getJob();
      out.println(global.json ? Output.json(job) : job.getId() + "  " + ProgressView.name(job.getState()));
      out.flush();
      return Docmesh.OK;
    }
  }
}
