package dev.docmesh.cli;

import dev.docmesh.proto.orchestrator.v1.JobState;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Follows one job; resumes from the last sequence after a dropped connection. */
@Command(
    name = "watch",
    description = "Follow a job's events until it ends (exit 1 unless it succeeded).")
final class WatchCommand extends RemoteCommand {

  @Parameters(paramLabel = "JOB")
  String jobId;

  @Option(names = "--after", description = "Only events after this sequence (default 0: all).")
  long after;

  @Override
  protected int run(Clients clients, PrintWriter out) throws Exception {
    ProgressView view = global.json ? null : new ProgressView(out, Output.interactive());
    JobState end =
        new JobWatcher(clients.orchestrator())
            .follow(
                jobId,
                after,
                e -> {
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
