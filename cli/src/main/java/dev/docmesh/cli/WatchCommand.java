package dev.docmesh.cli;

import dev.docmesh.proto.orchestrator.v1.JobState;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Follows one job; resumes from the last sequence after a dropped connection. */
@Command(name = "watch", description = "Follow a job's events until it ends (exit 1 unless it succeeded).")
final class WatchCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "JOB") String jobId;

  @Option(names = "--after", description = "Only events after this sequence (default 0: all).")
  long after;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    try (Clients clients = new Clients(global)) {
      ProgressView view = global.json ? null : new ProgressView(out, Output.interactive());
      JobState end = new JobWatcher(clients.orchestrator()).follow(jobId, after, e -> {
        if (view != null) {
          view.on(e);
        } else {
          out.println(Output.jsonLine(e));
          out.flush();
        }
      });
      return end == JobState.JOB_STATE_SUCCEEDED ? Docmesh.OK : Docmesh.JOB_FAILED;
    }
  }
}
