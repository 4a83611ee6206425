package dev.docmesh.orchestrator.metrics;

import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.GaugeMetricFamily;
import io.prometheus.client.Histogram;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** The orchestrator's domain metrics, in the service's own registry. */
public final class OrchestratorMetrics {
  /** What the queue looks like right now: READY tasks per processor and the oldest one's age. */
  public record QueueSnapshot(Map<String, Integer> depthByProcessor, Duration oldestAge) {}

  private final Counter jobs;
  private final Histogram jobDuration;
  private final Counter tasks;
  private final Histogram scheduleToStart;
  private final Gauge watchers;

  public OrchestratorMetrics(CollectorRegistry registry, Supplier<QueueSnapshot> queue) {
    jobs =
        Counter.build("docmesh_jobs_total", "Jobs that entered a state, by pipeline and state.")
            .labelNames("pipeline", "state")
            .register(registry);
    jobDuration =
        Histogram.build("docmesh_job_duration_seconds", "Time from submit to a terminal state.")
            .labelNames("pipeline", "state")
            .buckets(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
            .register(registry);
    tasks =
        Counter.build(
                "docmesh_tasks_total",
                "Task attempts that ended, by processor and outcome (succeeded, failed, retried, lease_expired, timed_out, cancelled, undelivered).")
            .labelNames("processor", "outcome")
            .register(registry);
    scheduleToStart =
        Histogram.build(
                "docmesh_schedule_to_start_seconds",
                "Time a task waited READY before a worker leased it.")
            .labelNames("processor")
            .buckets(
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
            .register(registry);
    watchers =
        Gauge.build("docmesh_active_watchers", "Open WatchJob and WatchJobs streams.")
            .register(registry);
    new QueueCollector(queue).register(registry);
  }

  public void jobEntered(String pipeline, String state) {
    jobs.labels(pipeline, state).inc();
  }

  public void jobFinished(String pipeline, String state, Duration took) {
    jobDuration.labels(pipeline, state).observe(took.toNanos() / 1e9);
  }

  public void taskEnded(String processor, String outcome) {
    tasks.labels(processor, outcome).inc();
  }

  public void taskStarted(String processor, Duration waited) {
    scheduleToStart.labels(processor).observe(Math.max(0, waited.toNanos()) / 1e9);
  }

  public void watcherOpened() {
    watchers.inc();
  }

  public void watcherClosed() {
    watchers.dec();
  }

  /** Read at scrape time, so the gauges are never stale. */
  private static final class QueueCollector extends Collector {
    private final Supplier<QueueSnapshot> queue;

    QueueCollector(Supplier<QueueSnapshot> queue) {
      this.queue = queue;
    }

    @Override
    public List<MetricFamilySamples> collect() {
      QueueSnapshot s = queue.get();
      GaugeMetricFamily depth =
          new GaugeMetricFamily(
              "docmesh_queue_depth", "READY tasks by processor.", List.of("processor"));
      s.depthByProcessor().forEach((p, n) -> depth.addMetric(List.of(p), n));
      GaugeMetricFamily oldest =
          new GaugeMetricFamily(
              "docmesh_queue_oldest_age_seconds",
              "How long the oldest READY task has waited; 0 when none.",
              s.oldestAge().toNanos() / 1e9);
      return List.of(depth, oldest);
    }
  }
}
