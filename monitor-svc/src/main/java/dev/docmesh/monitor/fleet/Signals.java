package dev.docmesh.monitor.fleet;

import dev.docmesh.monitor.metrics.Counters;
import dev.docmesh.monitor.metrics.Snapshot;
import dev.docmesh.monitor.metrics.Traffic;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Numbers derived from instances' snapshots, shared by the status, the summary, the rules and the
 * charts.
 */
public final class Signals {
  public static final String QUEUE_DEPTH = "docmesh_queue_depth";
  public static final String QUEUE_OLDEST_AGE = "docmesh_queue_oldest_age_seconds";
  public static final String WORKER_SLOTS = "docmesh_worker_slots";
  private static final Predicate<Map<String, String>> HEAP = l -> "heap".equals(l.get("area"));

  private Signals() {}

  /** Traffic of the instances, each over the window, added up. */
  public static Traffic traffic(
      List<InstanceView> instances, Function<InstanceView, List<Snapshot>> window) {
    Traffic total = Traffic.NONE;
    for (InstanceView i : instances) {
      total = total.plus(Traffic.of(window.apply(i)));
    }
    return total;
  }

  public static Traffic traffic(List<InstanceView> instances, Duration window) {
    return traffic(instances, i -> i.window(window));
  }

  public static Traffic recentTraffic(List<InstanceView> instances) {
    return traffic(instances, InstanceView::recent);
  }

  /** Cores of CPU used, from {@code process_cpu_seconds_total} over the snapshots. */
  public static OptionalDouble cpu(List<Snapshot> window) {
    double seconds = Counters.seconds(window);
    if (seconds <= 0
        || window.get(window.size() - 1).series("process_cpu_seconds_total").isEmpty()) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(
        Counters.increase(window, "process_cpu_seconds_total", l -> true) / seconds);
  }

  public static long heapUsed(InstanceView i) {
    return i.latest()
        .flatMap(s -> box(s.sum("jvm_memory_bytes_used", HEAP)))
        .orElse(0.0)
        .longValue();
  }

  public static long heapMax(InstanceView i) {
    return i.latest()
        .flatMap(s -> box(s.sum("jvm_memory_bytes_max", HEAP)))
        .orElse(0.0)
        .longValue();
  }

  /**
   * The latest value of a gauge summed over its series, highest over the instances: replicas that
   * share one store report the same queue, so adding them up would count it twice.
   */
  public static OptionalDouble gaugeMax(
      List<InstanceView> instances, String name, Predicate<Map<String, String>> filter) {
    OptionalDouble max = OptionalDouble.empty();
    for (InstanceView i : instances) {
      OptionalDouble v = i.latest().map(s -> s.sum(name, filter)).orElse(OptionalDouble.empty());
      if (v.isPresent() && (max.isEmpty() || v.getAsDouble() > max.getAsDouble())) {
        max = v;
      }
    }
    return max;
  }

  /** Latest value of a gauge summed over series and instances (e.g. worker slots). */
  public static double gaugeSum(
      List<InstanceView> instances, String name, Predicate<Map<String, String>> filter) {
    double sum = 0;
    for (InstanceView i : instances) {
      sum += i.latest().map(s -> s.sum(name, filter).orElse(0)).orElse(0.0);
    }
    return sum;
  }

  /** Counter increase over the window, summed over instances. */
  public static double increase(
      List<InstanceView> instances,
      Duration window,
      String name,
      Predicate<Map<String, String>> filter) {
    double sum = 0;
    for (InstanceView i : instances) {
      sum += Counters.increase(i.window(window), name, filter);
    }
    return sum;
  }

  /** Busy slots: series labelled busy (or used/in_use). */
  public static int workerSlotsBusy(List<InstanceView> workers) {
    return (int)
        Math.round(
            gaugeSum(
                workers,
                WORKER_SLOTS,
                l -> isOneOf(l.get("state"), "busy", "used", "in_use", "active")));
  }

  /** All slots: the series labelled total when there is one, else the sum over states. */
  public static int workerSlotsTotal(List<InstanceView> workers) {
    double total = 0;
    for (InstanceView w : workers) {
      Snapshot s = w.latest().orElse(null);
      if (s == null) {
        continue;
      }
      boolean hasTotal =
          s.series(WORKER_SLOTS).stream().anyMatch(x -> "total".equals(x.labels().get("state")));
      total += s.sum(WORKER_SLOTS, l -> !hasTotal || "total".equals(l.get("state"))).orElse(0);
    }
    return (int) Math.round(total);
  }

  static boolean isOneOf(String value, String... options) {
    if (value == null) {
      return false;
    }
    for (String o : options) {
      if (o.equalsIgnoreCase(value)) {
        return true;
      }
    }
    return false;
  }

  private static java.util.Optional<Double> box(OptionalDouble d) {
    return d.isPresent() ? java.util.Optional.of(d.getAsDouble()) : java.util.Optional.empty();
  }
}
