package dev.docmesh.worker;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;

/** The worker's domain metrics, registered in the service's own registry. */
final class WorkerMetrics {
  /** How a task ended on this worker, the {@code outcome} label. */
  enum Outcome {
    /** CompleteTask accepted. */
    COMPLETED,
    /** FailTask accepted. */
    FAILED,
    /** Given back at drain with FailTask(retryable). */
    HANDED_BACK,
    /** The job was cancelled; the work was dropped. */
    CANCELLED,
    /** The lease was no longer ours (stale or expired); the result was rejected or dropped. */
    LEASE_LOST;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  final Gauge slots;
  final Counter tasks;
  final Counter followOns;
  final Histogram taskSeconds;
  final Histogram pollSeconds;
  final Gauge circuitOpen;

  WorkerMetrics(CollectorRegistry registry) {
    slots =
        Gauge.build("docmesh_worker_slots", "Execution slots of this worker by state (busy, idle).")
            .labelNames("state")
            .register(registry);
    tasks =
        Counter.build(
                "docmesh_worker_tasks_total",
                "Tasks this worker finished, by processor and outcome.")
            .labelNames("processor", "outcome")
            .register(registry);
    followOns =
        Counter.build(
                "docmesh_worker_follow_ons_total",
                "Follow-on stages this worker started under a task's lease, by processor and"
                    + " outcome (the task's for a finished one; failed when it ended the chain).")
            .labelNames("processor", "outcome")
            .register(registry);
    taskSeconds =
        Histogram.build(
                "docmesh_worker_task_seconds", "Time from lease to settled result, by processor.")
            .labelNames("processor")
            .buckets(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
            .register(registry);
    pollSeconds =
        Histogram.build(
                "docmesh_worker_poll_seconds", "Duration of PollTask calls (long polls included).")
            .buckets(0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60)
            .register(registry);
    circuitOpen =
        Gauge.build(
                "docmesh_worker_circuit_open",
                "1 while the circuit breaker to the target is open or probing.")
            .labelNames("target")
            .register(registry);
  }

  void slots(int total, int busy) {
    slots.labels("busy").set(busy);
    slots.labels("idle").set(total - busy);
  }

  void taskEnded(String processor, Outcome outcome, double seconds) {
    tasks.labels(processor, outcome.label()).inc();
    taskSeconds.labels(processor).observe(seconds);
  }

  void followOnEnded(String processor, Outcome outcome) {
    followOns.labels(processor, outcome.label()).inc();
  }
}
