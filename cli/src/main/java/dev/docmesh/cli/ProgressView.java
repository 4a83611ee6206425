package dev.docmesh.cli;

import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Live progress of several jobs: at a terminal, one bar per job and per stage (with the page count
 * of running stages), redrawn in place; when piped, one plain line per state change.
 */
final class ProgressView {
  private static final int BAR = 24;

  private final PrintWriter out;
  private final boolean interactive;
  private final Map<String, JobLine> jobs = new LinkedHashMap<>();
  private int drawnLines;

  ProgressView(PrintWriter out, boolean interactive) {
    this.out = out;
    this.interactive = interactive;
  }

  synchronized void add(String jobId, String label) {
    jobs.put(jobId, new JobLine(label));
    redraw();
  }

  synchronized void on(JobEvent e) {
    JobLine job = jobs.computeIfAbsent(e.getJobId(), JobLine::new);
    job.state = e.getJobState();
    job.percent = e.getProgressPercent();
    switch (e.getChangeCase()) {
      case TASK_STATE_CHANGED -> {
        var c = e.getTaskStateChanged();
        StageLine s = job.stages.computeIfAbsent(c.getStage(), k -> new StageLine());
        s.state = c.getTo();
        if (c.getTo() == TaskState.TASK_STATE_SUCCEEDED
            && s.progress != null
            && s.progress.getTotal() > 0) {
          s.progress = s.progress.toBuilder().setDone(s.progress.getTotal()).build();
        }
        if (!interactive) {
          out.printf(
              "%s  %-14s %s%s%n",
              e.getJobId(),
              c.getStage(),
              name(c.getTo()),
              c.hasError()
                  ? "  (" + c.getError().getReason() + ": " + c.getError().getMessage() + ")"
                  : "");
        }
      }
      case TASK_PROGRESSED -> {
        var p = e.getTaskProgressed();
        job.stages.computeIfAbsent(p.getStage(), k -> new StageLine()).progress = p.getProgress();
      }
      case JOB_STATE_CHANGED -> {
        if (!interactive) {
          var c = e.getJobStateChanged();
          out.printf(
              "%s  job %s%s%n",
              e.getJobId(),
              name(c.getTo()),
              c.hasError()
                  ? "  (" + c.getError().getStage() + ": " + c.getError().getMessage() + ")"
                  : "");
        }
      }
      default -> {}
    }
    redraw();
  }

  private void redraw() {
    if (!interactive) {
      out.flush();
      return;
    }
    StringBuilder sb = new StringBuilder();
    if (drawnLines > 0) {
      sb.append("\033[").append(drawnLines).append('A');
    }
    int lines = 0;
    for (Map.Entry<String, JobLine> j : jobs.entrySet()) {
      JobLine job = j.getValue();
      sb.append("\033[2K")
          .append(
              String.format(
                  "%-36s %s %5.1f%%  %s%n",
                  trim(job.label, 36), bar(job.percent / 100.0), job.percent, name(job.state)));
      lines++;
      for (Map.Entry<String, StageLine> s : job.stages.entrySet()) {
        StageLine st = s.getValue();
        double frac =
            st.state == TaskState.TASK_STATE_SUCCEEDED
                ? 1.0
                : st.progress != null && st.progress.getTotal() > 0
                    ? (double) st.progress.getDone() / st.progress.getTotal()
                    : 0;
        String detail =
            st.progress != null
                    && st.progress.getTotal() > 0
                    && st.state != TaskState.TASK_STATE_SUCCEEDED
                ? st.progress.getUnit()
                    + " "
                    + st.progress.getDone()
                    + " of "
                    + st.progress.getTotal()
                : "";
        sb.append("\033[2K")
            .append(
                String.format(
                    "    %-30s %s  %-10s %s%n",
                    trim(s.getKey(), 30), bar(frac), name(st.state), detail));
        lines++;
      }
    }
    drawnLines = lines;
    out.print(sb);
    out.flush();
  }

  private static String bar(double fraction) {
    int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * BAR);
    return "[" + "#".repeat(filled) + "-".repeat(BAR - filled) + "]";
  }

  private static String trim(String s, int n) {
    return s.length() <= n ? s : "…" + s.substring(s.length() - n + 1);
  }

  static String name(JobState s) {
    return s == null ? "" : s.name().replace("JOB_STATE_", "");
  }

  static String name(TaskState s) {
    return s == null ? "" : s.name().replace("TASK_STATE_", "");
  }

  private static final class JobLine {
    final String label;
    JobState state = JobState.JOB_STATE_QUEUED;
    double percent;
    final Map<String, StageLine> stages = new LinkedHashMap<>();

    JobLine(String label) {
      this.label = label;
    }
  }

  private static final class StageLine {
    TaskState state = TaskState.TASK_STATE_BLOCKED;
    Progress progress;
  }
}
