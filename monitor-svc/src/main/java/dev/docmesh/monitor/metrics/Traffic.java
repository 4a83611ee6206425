package dev.docmesh.monitor.metrics;

import com.google.protobuf.util.Durations;
import dev.docmesh.proto.monitor.v1.GoldenSignals;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * RPC traffic over a window, from {@code grpc_server_handled_total} and the {@code
 * grpc_server_handling_seconds} histogram: requests, non-OK ones, latency bucket increases. Adds up
 * over instances, so a service's signals are the sum of its instances'.
 *
 * <p>Only application RPCs count: health checks, reflection and the monitor's own {@code
 * GetMetrics} scrapes would otherwise make an idle service look busy. Latency uses unary RPCs only,
 * since a stream's "latency" is how long the client kept it open, and leaves out the workers'
 * long-poll {@code PollTask}, which waits up to ~30 s by design when idle.
 */
public record Traffic(
    double requests, double errors, SortedMap<Double, Double> buckets, double requestsPerSecond) {
  public static final Traffic NONE = new Traffic(0, 0, new TreeMap<>(), 0);

  static final Set<String> MONITORING_SERVICES =
      Set.of(
          "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection",
          "docmesh.telemetry.v1.TelemetryService");

  private static final Predicate<Map<String, String>> APPLICATION =
      labels -> !MONITORING_SERVICES.contains(labels.getOrDefault("grpc_service", ""));
  static final Set<String> LONG_POLLS = Set.of("PollTask");

  private static final Predicate<Map<String, String>> UNARY_APPLICATION =
      labels ->
          APPLICATION.test(labels)
              && "unary".equals(labels.get("grpc_type"))
              && !LONG_POLLS.contains(labels.getOrDefault("grpc_method", ""));

  /** Traffic of one instance over its snapshots in a window (oldest first). */
  public static Traffic of(List<Snapshot> window) {
    double seconds = Counters.seconds(window);
    if (seconds <= 0) {
      return NONE;
    }
    double requests = Counters.increase(window, "grpc_server_handled_total", APPLICATION);
    double errors =
        Counters.increase(
            window,
            "grpc_server_handled_total",
            APPLICATION.and(l -> !"OK".equals(l.get("grpc_code"))));
    TreeMap<Double, Double> buckets = new TreeMap<>();
    for (int i = 1; i < window.size(); i++) {
      Counters.increaseBy(
              window.get(i - 1),
              window.get(i),
              "grpc_server_handling_seconds_bucket",
              UNARY_APPLICATION,
              Traffic::le)
          .forEach((le, d) -> buckets.merge(le, d, Double::sum));
    }
    return new Traffic(requests, errors, buckets, requests / seconds);
  }

  private static Double le(Map<String, String> labels) {
    String le = labels.getOrDefault("le", "+Inf");
    return "+Inf".equals(le) ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
  }

  public Traffic plus(Traffic other) {
    TreeMap<Double, Double> merged = new TreeMap<>(buckets);
    other.buckets.forEach((le, d) -> merged.merge(le, d, Double::sum));
    return new Traffic(
        requests + other.requests,
        errors + other.errors,
        merged,
        requestsPerSecond + other.requestsPerSecond);
  }

  /** Non-OK share of the requests; 0 when there were none. */
  public double errorRate() {
    return requests > 0 ? errors / requests : 0;
  }

  /**
   * The q-quantile in seconds, interpolated linearly inside the bucket that holds it, as
   * Prometheus' {@code histogram_quantile}. In the +Inf bucket it is the highest finite bound. NaN
   * when nothing was observed.
   */
  public double quantile(double q) {
    if (buckets.isEmpty()) {
      return Double.NaN;
    }
    double count = buckets.getOrDefault(Double.POSITIVE_INFINITY, buckets.get(buckets.lastKey()));
    if (count <= 0) {
      return Double.NaN;
    }
    double rank = q * count;
    double prevBound = 0;
    double prevCount = 0;
    for (Map.Entry<Double, Double> b : buckets.entrySet()) {
      double bound = b.getKey();
      double cumulative = b.getValue();
      if (cumulative >= rank) {
        if (Double.isInfinite(bound)) {
          return prevBound;
        }
        double inBucket = cumulative - prevCount;
        return inBucket <= 0
            ? bound
            : prevBound + (bound - prevBound) * (rank - prevCount) / inBucket;
      }
      prevBound = bound;
      prevCount = cumulative;
    }
    return prevBound;
  }

  public GoldenSignals toProto() {
    GoldenSignals.Builder b =
        GoldenSignals.newBuilder()
            .setRequestsPerSecond(requestsPerSecond)
            .setErrorRate(errorRate());
    if (!Double.isNaN(quantile(0.5))) {
      b.setLatencyP50(seconds(quantile(0.5)));
      b.setLatencyP95(seconds(quantile(0.95)));
      b.setLatencyP99(seconds(quantile(0.99)));
    }
    return b.build();
  }

  private static com.google.protobuf.Duration seconds(double s) {
    return Durations.fromNanos(Math.round(s * 1e9));
  }
}
