package dev.docmesh.monitor;

import com.google.protobuf.util.Durations;
import dev.docmesh.monitor.fleet.InstanceView;
import dev.docmesh.monitor.fleet.MeshView;
import dev.docmesh.monitor.fleet.Signals;
import dev.docmesh.monitor.metrics.Traffic;
import dev.docmesh.proto.monitor.v1.MetricsSummary;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * {@code GetMetricsSummary}: counter increases over a window of the history. Jobs come from the
 * orchestrator's {@code docmesh_jobs_total{state}}, tasks and their time from the workers' {@code
 * docmesh_tasks_total{outcome}} and {@code docmesh_task_duration_seconds}, pages from the
 * processors' {@code docmesh_processor_pages_total}. Label values are matched loosely ("SUCCEEDED",
 * "succeeded", "JOB_STATE_SUCCEEDED"), since each service names its own.
 */
final class SummaryBuilder {
  private SummaryBuilder() {}

  static MetricsSummary build(MeshView mesh, Duration window) {
    double seconds = window.toMillis() / 1000.0;
    List<InstanceView> orchestrators = mesh.instances("orchestrator");
    List<InstanceView> workers = mesh.instances("worker");
    double jobsSucceeded =
        Signals.increase(orchestrators, window, "docmesh_jobs_total", label("state", "succeeded"));
    double jobsFailed =
        Signals.increase(orchestrators, window, "docmesh_jobs_total", label("state", "failed"));
    double jobsCancelled =
        Signals.increase(
            orchestrators, window, "docmesh_jobs_total", label("state", "cancelled", "canceled"));
    double tasksOk =
        Signals.increase(
            workers,
            window,
            "docmesh_tasks_total",
            label("outcome", "succeeded", "success", "ok", "completed"));
    double tasksFailed =
        Signals.increase(
            workers,
            window,
            "docmesh_tasks_total",
            label("outcome", "failed", "failure", "error", "timeout"));
    double taskSeconds =
        Signals.increase(workers, window, "docmesh_task_duration_seconds_sum", l -> true);
    double taskCount =
        Signals.increase(workers, window, "docmesh_task_duration_seconds_count", l -> true);
    double pages =
        Signals.increase(
            mesh.instances("processor"), window, "docmesh_processor_pages_total", l -> true);

    MetricsSummary.Builder b =
        MetricsSummary.newBuilder()
            .setWindow(Durations.fromMillis(window.toMillis()))
            .setJobsSucceeded(Math.round(jobsSucceeded))
            .setJobsFailed(Math.round(jobsFailed))
            .setTasksSucceeded(Math.round(tasksOk))
            .setTasksFailed(Math.round(tasksFailed))
            .setMeanTaskDuration(
                Durations.fromMillis(
                    taskCount > 0 ? Math.round(taskSeconds / taskCount * 1000) : 0))
            .setTasksPerSecond((tasksOk + tasksFailed) / seconds)
            .setPagesPerSecond(pages / seconds)
            .setJobsPerSecond((jobsSucceeded + jobsFailed + jobsCancelled) / seconds)
            .setQueueDepth(
                (long) Signals.gaugeMax(orchestrators, Signals.QUEUE_DEPTH, l -> true).orElse(0));
    Traffic all = Traffic.NONE;
    for (String service : new TreeSet<>(mesh.services())) {
      Traffic t = Signals.traffic(mesh.instances(service), window);
      b.putServices(service, t.toProto());
      all = all.plus(t);
    }
    return b.setErrorRate(all.errorRate()).build();
  }

  private static Predicate<Map<String, String>> label(String name, String... values) {
    return labels -> {
      String v = labels.get(name);
      if (v == null) {
        return false;
      }
      String lower = v.toLowerCase(Locale.ROOT);
      for (String value : values) {
        if (lower.equals(value) || lower.endsWith("_" + value)) {
          return true;
        }
      }
      return false;
    };
  }
}
