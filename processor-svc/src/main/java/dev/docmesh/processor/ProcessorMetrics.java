package dev.docmesh.processor;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;

/** The processor's domain metrics, in the service's own registry. */
final class ProcessorMetrics {
  private final Counter calls;
  private final Histogram seconds;
  private final Counter pages;
  private final Gauge inFlight;

  ProcessorMetrics(CollectorRegistry registry) {
    calls =
        Counter.build(
                "docmesh_processor_calls_total",
                "Processor runs of Process calls (a call's processor and each step of it) by"
                    + " processor and outcome (ok, cancelled or the ErrorInfo reason).")
            .labelNames("processor", "outcome")
            .register(registry);
    seconds =
        Histogram.build(
                "docmesh_processor_seconds",
                "Time a processor run took, from accepting the Process call (a step: from its"
                    + " start) to its result or the end of the call.")
            .labelNames("processor")
            .buckets(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
            .register(registry);
    pages =
        Counter.build(
                "docmesh_processor_pages_total",
                "Pages processed, counted as progress reports them.")
            .labelNames("processor")
            .register(registry);
    inFlight =
        Gauge.build(
                "docmesh_processor_in_flight",
                "Process calls accepted and not yet finished (queued or running).")
            .register(registry);
  }

  /** A call accepted: in flight until {@link #ended()}. */
  void started() {
    inFlight.inc();
  }

  void ended() {
    inFlight.dec();
  }

  /** One processor run of a call (its own processor or a step) ended with {@code outcome}. */
  void finished(String processor, String outcome, long startNanos) {
    calls.labels(processor, outcome).inc();
    seconds.labels(processor).observe((System.nanoTime() - startNanos) / 1e9);
  }

  /** A call or a step refused before any work (bad request, over a size limit). */
  void rejected(String processor, String outcome) {
    calls.labels(processor, outcome).inc();
  }

  void page(String processor) {
    pages.labels(processor).inc();
  }
}
