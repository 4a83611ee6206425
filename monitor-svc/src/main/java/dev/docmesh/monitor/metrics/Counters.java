package dev.docmesh.monitor.metrics;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Counter increases between snapshots, as Prometheus' {@code increase()} computes them: when the
 * instance restarted (new start time) or a series went down, the counter started again from zero,
 * so its whole current value is the increase. A series that appears without a restart was created
 * lazily at its first increment, so it also counts from zero.
 */
public final class Counters {
  private Counters() {}

  /** Increase of the matching series summed over consecutive pairs of {@code window}. */
  public static double increase(
      List<Snapshot> window, String name, Predicate<Map<String, String>> filter) {
    double total = 0;
    for (int i = 1; i < window.size(); i++) {
      total += increase(window.get(i - 1), window.get(i), name, filter);
    }
    return total;
  }

  public static double increase(
      Snapshot prev, Snapshot cur, String name, Predicate<Map<String, String>> filter) {
    double total = 0;
    for (double d : increaseBy(prev, cur, name, filter, labels -> 0).values()) {
      total += d;
    }
    return total;
  }

  /** Increases grouped by a key of the labels, e.g. histogram buckets by {@code le}. */
  public static <K extends Comparable<K>> TreeMap<K, Double> increaseBy(
      Snapshot prev,
      Snapshot cur,
      String name,
      Predicate<Map<String, String>> filter,
      Function<Map<String, String>, K> key) {
    boolean restarted = !prev.startTime().equals(cur.startTime());
    TreeMap<K, Double> out = new TreeMap<>();
    for (Snapshot.Series s : cur.series(name)) {
      if (!filter.test(s.labels())) {
        continue;
      }
      Double before = restarted ? null : prev.value(name, s.labels());
      double delta = before == null || s.value() < before ? s.value() : s.value() - before;
      out.merge(key.apply(s.labels()), delta, Double::sum);
    }
    return out;
  }

  /** Seconds between the first and last snapshot of a window. */
  public static double seconds(List<Snapshot> window) {
    if (window.size() < 2) {
      return 0;
    }
    return java.time.Duration.between(
                window.get(0).scrapedAt(), window.get(window.size() - 1).scrapedAt())
            .toMillis()
        / 1000.0;
  }
}
