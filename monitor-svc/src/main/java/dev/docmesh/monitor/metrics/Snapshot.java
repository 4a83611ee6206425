package dev.docmesh.monitor.metrics;

import com.google.common.collect.Interner;
import com.google.common.collect.Interners;
import dev.docmesh.proto.telemetry.v1.GetMetricsResponse;
import dev.docmesh.proto.telemetry.v1.MetricFamily;
import dev.docmesh.proto.telemetry.v1.Sample;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.Predicate;

/**
 * One scrape of one instance: its samples indexed by sample name, the local time of the scrape
 * (windows are cut on the monitor's clock, not the instance's) and the instance's start time (a
 * change means its counters started again from zero).
 */
public final class Snapshot {
  /** One time series of a sample name. */
  public record Series(Map<String, String> labels, double value) {}

  private final Instant scrapedAt;
  private final Instant startTime;
  private final Map<String, List<Series>> byName;

  public Snapshot(Instant scrapedAt, Instant startTime, Map<String, List<Series>> byName) {
    this.scrapedAt = scrapedAt;
    this.startTime = startTime;
    this.byName = byName;
  }

  /**
   * Label sets and names repeat on every scrape of every instance: sharing one copy of each keeps a
   * 15-minute history at about a tenth of the memory the proto maps would take.
   */
  private static final Interner<Map<String, String>> LABELS = Interners.newWeakInterner();

  private static final Interner<String> NAMES = Interners.newWeakInterner();

  public static Snapshot of(GetMetricsResponse response, Instant scrapedAt) {
    Map<String, List<Series>> byName = new HashMap<>();
    for (MetricFamily family : response.getFamiliesList()) {
      for (Sample s : family.getSamplesList()) {
        byName
            .computeIfAbsent(NAMES.intern(s.getName()), k -> new ArrayList<>())
            .add(new Series(LABELS.intern(Map.copyOf(s.getLabelsMap())), s.getValue()));
      }
    }
    byName.values().forEach(l -> ((ArrayList<Series>) l).trimToSize());
    Instant start =
        Instant.ofEpochSecond(
            response.getStartTime().getSeconds(), response.getStartTime().getNanos());
    return new Snapshot(scrapedAt, start, byName);
  }

  public Instant scrapedAt() {
    return scrapedAt;
  }

  public Instant startTime() {
    return startTime;
  }

  public List<Series> series(String name) {
    return byName.getOrDefault(name, List.of());
  }

  /** Sum of the matching series, or empty when the instance has no such sample. */
  public OptionalDouble sum(String name, Predicate<Map<String, String>> filter) {
    List<Series> all = series(name);
    if (all.isEmpty()) {
      return OptionalDouble.empty();
    }
    double sum = 0;
    for (Series s : all) {
      if (filter.test(s.labels())) {
        sum += s.value();
      }
    }
    return OptionalDouble.of(sum);
  }

  public OptionalDouble sum(String name) {
    return sum(name, labels -> true);
  }

  Double value(String name, Map<String, String> labels) {
    for (Series s : series(name)) {
      if (s.labels().equals(labels)) {
        return s.value();
      }
    }
    return null;
  }
}
