package dev.docmesh.chaos;

import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.StageStatus;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * What must hold after every scenario, read through the public API (GetJob, WatchJob from 0,
 * /metrics) while the mesh runs, and from the orchestrator's SQLite file (read-only) once it has
 * stopped. Collects violations instead of stopping at the first.
 */
final class Invariants {
  final List<String> violations = new ArrayList<>();
  final Map<String, JobHistory> histories = new LinkedHashMap<>();

  /**
   * Every acknowledged job terminal and SUCCEEDED, each stage one successful attempt, gap-free
   * history, nothing LEASED.
   */
  void checkJobs(Mesh mesh, Collection<String> acknowledged, Duration settle) {
    Map<String, Job> last = new HashMap<>();
    try {
      Awaitility.await("acknowledged jobs terminal")
          .atMost(settle)
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .until(
              () -> {
                for (String id : acknowledged) {
                  Job j = last.get(id);
                  if (j == null || !terminal(j.getState())) {
                    last.put(
                        id,
                        mesh.orchestrator()
                            .withDeadlineAfter(10, TimeUnit.SECONDS)
                            .getJob(GetJobRequest.newBuilder().setJobId(id).build())
                            .getJob());
                  }
                }
                return acknowledged.stream()
                    .allMatch(id -> last.containsKey(id) && terminal(last.get(id).getState()));
              });
    } catch (ConditionTimeoutException e) {
      // reported per job below
    }
    for (String id : acknowledged) {
      Job job = last.get(id);
      if (job == null) {
        violations.add(id + ": acknowledged but GetJob never answered");
        continue;
      }
      if (job.getState() != JobState.JOB_STATE_SUCCEEDED) {
        violations.add(
            id
                + " ("
                + job.getDocument().getFilename()
                + "): "
                + job.getState()
                + (job.hasError()
                    ? " " + job.getError().getReason() + " " + job.getError().getMessage()
                    : ""));
      }
      for (StageStatus s : job.getStagesList()) {
        if (s.getState() == TaskState.TASK_STATE_LEASED) {
          violations.add(id + "/" + s.getName() + ": left LEASED");
        }
      }
      JobHistory h = history(mesh, job);
      histories.put(id, h);
      checkHistory(h);
    }
  }

  private JobHistory history(Mesh mesh, Job job) {
    List<JobEvent> events = new ArrayList<>();
    String end = "completed";
    try {
      Iterator<WatchJobResponse> it =
          mesh.orchestrator()
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .watchJob(
                  WatchJobRequest.newBuilder().setJobId(job.getId()).setAfterSequence(0).build());
      while (it.hasNext()) {
        events.add(it.next().getEvent());
      }
    } catch (StatusRuntimeException e) {
      end = e.getStatus().toString();
    }
    return new JobHistory(job, events, end);
  }

  private void checkHistory(JobHistory h) {
    String id = h.job().getId();
    if (!h.watchEnd().equals("completed")) {
      violations.add(id + ": WatchJob from 0 ended with " + h.watchEnd());
    }
    for (int i = 0; i < h.events().size(); i++) {
      if (h.events().get(i).getSequence() != i + 1) {
        violations.add(
            id
                + ": event "
                + (i + 1)
                + " has sequence "
                + h.events().get(i).getSequence()
                + " (gap or disorder)");
        break;
      }
    }
    if (h.events().size() != h.job().getLastSequence()) {
      violations.add(
          id
              + ": replayed "
              + h.events().size()
              + " events, job says last_sequence "
              + h.job().getLastSequence());
    }
    if (h.job().getState() == JobState.JOB_STATE_SUCCEEDED) {
      Map<String, Integer> successes = new HashMap<>();
      for (JobEvent e : h.events()) {
        if (e.hasTaskStateChanged()
            && e.getTaskStateChanged().getTo() == TaskState.TASK_STATE_SUCCEEDED) {
          successes.merge(e.getTaskStateChanged().getStage(), 1, Integer::sum);
        }
      }
      for (StageStatus s : h.job().getStagesList()) {
        int n = successes.getOrDefault(s.getName(), 0);
        if (n != 1) {
          violations.add(id + "/" + s.getName() + ": " + n + " successful attempts");
        }
      }
    }
  }

  /** The worker's busy slots and the processor's in-flight calls back to 0. */
  void checkGauges(Mesh mesh) {
    try {
      Awaitility.await("in-flight gauges back to 0")
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(250))
          .ignoreExceptions()
          .until(
              () ->
                  Metrics.sum(mesh.worker.metricsPort, "docmesh_worker_slots", "state=\"busy\"")
                          == 0
                      && Metrics.sum(mesh.processor.metricsPort, "docmesh_processor_in_flight")
                          == 0);
    } catch (ConditionTimeoutException e) {
      violations.add(
          "in-flight gauges not back to 0: worker busy="
              + safe(
                  () ->
                      Metrics.sum(
                          mesh.worker.metricsPort, "docmesh_worker_slots", "state=\"busy\""))
              + " processor in_flight="
              + safe(() -> Metrics.sum(mesh.processor.metricsPort, "docmesh_processor_in_flight")));
    }
  }

  /**
   * After the orchestrator stopped: one stored output per stage of every SUCCEEDED job, every
   * acknowledged job stored once.
   */
  void checkStore(Path dataDir, Collection<String> acknowledged) {
    Path db = dataDir.resolve("orchestrator.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + db + "?mode=ro")) {
      try (PreparedStatement job = c.prepareStatement("SELECT state FROM jobs WHERE id = ?");
          PreparedStatement outputs =
              c.prepareStatement(
                  "SELECT stage, COUNT(*) FROM outputs WHERE job_id = ? GROUP BY stage")) {
        for (String id : acknowledged) {
          job.setString(1, id);
          try (ResultSet rs = job.executeQuery()) {
            if (!rs.next()) {
              violations.add(id + ": acknowledged but not in the store");
              continue;
            }
          }
          JobHistory h = histories.get(id);
          if (h == null || h.job().getState() != JobState.JOB_STATE_SUCCEEDED) {
            continue;
          }
          Map<String, Integer> stored = new HashMap<>();
          outputs.setString(1, id);
          try (ResultSet rs = outputs.executeQuery()) {
            while (rs.next()) {
              stored.put(rs.getString(1), rs.getInt(2));
            }
          }
          for (StageStatus s : h.job().getStagesList()) {
            if (stored.getOrDefault(s.getName(), 0) != 1) {
              violations.add(
                  id
                      + "/"
                      + s.getName()
                      + ": "
                      + stored.getOrDefault(s.getName(), 0)
                      + " stored outputs");
            }
          }
        }
      }
    } catch (SQLException e) {
      violations.add("cannot read the store " + db + ": " + e.getMessage());
    }
  }

  private static String safe(java.util.concurrent.Callable<Object> c) {
    try {
      return String.valueOf(c.call());
    } catch (Exception e) {
      return "?(" + e.getMessage() + ")";
    }
  }

  static boolean terminal(JobState s) {
    return s == JobState.JOB_STATE_SUCCEEDED
        || s == JobState.JOB_STATE_FAILED
        || s == JobState.JOB_STATE_CANCELLED;
  }
}
