package dev.docmesh.monitor;

import dev.docmesh.monitor.fleet.MeshView;
import dev.docmesh.monitor.fleet.Signals;
import dev.docmesh.monitor.metrics.Traffic;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The dashboard's time series: one point per scrape interval with each service's RPS, error rate
 * and p99, the queue depth and worker slots, kept as long as the metrics history.
 */
final class ChartHistory {
  /** One point in time. p99 is in seconds, NaN (null in JSON) when nothing was measured. */
  record Point(
      long time,
      Map<String, Double> rps,
      Map<String, Double> errorRate,
      Map<String, Double> p99,
      double queueDepth,
      int slotsBusy,
      int slotsTotal) {}

  private final Duration retention;
  private final Deque<Point> points = new ArrayDeque<>();

  ChartHistory(Duration retention) {
    this.retention = retention;
  }

  void record(MeshView mesh) {
    Map<String, Double> rps = new LinkedHashMap<>();
    Map<String, Double> errors = new LinkedHashMap<>();
    Map<String, Double> p99 = new LinkedHashMap<>();
    for (String service : new TreeSet<>(mesh.services())) {
      Traffic t = Signals.recentTraffic(mesh.instances(service));
      rps.put(service, t.requestsPerSecond());
      errors.put(service, t.errorRate());
      double q = t.quantile(0.99);
      p99.put(service, Double.isNaN(q) ? null : q);
    }
    var workers = mesh.instances("worker");
    Instant now = mesh.now();
    Point p =
        new Point(
            now.toEpochMilli(),
            rps,
            errors,
            p99,
            Signals.gaugeMax(mesh.instances("orchestrator"), Signals.QUEUE_DEPTH, l -> true)
                .orElse(0),
            Signals.workerSlotsBusy(workers),
            Signals.workerSlotsTotal(workers));
    synchronized (this) {
      points.addLast(p);
      long horizon = now.minus(retention).toEpochMilli();
      while (!points.isEmpty() && points.peekFirst().time() < horizon) {
        points.removeFirst();
      }
    }
  }

  synchronized List<Point> points() {
    return new ArrayList<>(points);
  }
}
