package dev.docmesh.cli;

import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.ListJobsRequest;
import dev.docmesh.proto.orchestrator.v1.ListJobsResponse;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "list", description = "List jobs, newest first.")
final class ListCommand extends RemoteCommand {

  @Option(
      names = "--state",
      description =
          "Only jobs in this state: queued, running, succeeded, failed, cancelled (repeatable).")
  List<String> states = new ArrayList<>();

  @Option(
      names = "--label",
      paramLabel = "k=v",
      description = "Only jobs with this label (repeatable).")
  Map<String, String> labels = new LinkedHashMap<>();

  @Option(names = "--limit", description = "At most this many jobs (default 50).")
  int limit = 50;

  @Override
  protected int run(Clients clients, PrintWriter out) {
    ListJobsRequest.Builder req = ListJobsRequest.newBuilder().putAllLabels(labels);
    for (String s : states) {
      try {
        req.addStates(JobState.valueOf("JOB_STATE_" + s.toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "unknown state '" + s + "': use queued, running, succeeded, failed or cancelled");
      }
    }
    List<Job> jobs = new ArrayList<>();
    String token = "";
    do {
      ListJobsResponse page =
          clients
              .orchestrator()
              .listJobs(
                  req.setPageToken(token).setPageSize(Math.min(1000, limit - jobs.size())).build());
      jobs.addAll(page.getJobsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty() && jobs.size() < limit);
    if (global.json) {
      jobs.forEach(j -> out.println(Output.jsonLine(j)));
    } else {
      List<String[]> rows = new ArrayList<>();
      for (Job j : jobs) {
        rows.add(
            new String[] {
              j.getId(),
              ProgressView.name(j.getState()),
              String.format("%.0f%%", j.getProgressPercent()),
              j.getPipeline(),
              j.getDocument().getFilename(),
              j.getLabelsMap().toString()
            });
      }
      Output.table(
          out, new String[] {"JOB", "STATE", "PROGRESS", "PIPELINE", "FILE", "LABELS"}, rows);
    }
    return Docmesh.OK;
  }
}
