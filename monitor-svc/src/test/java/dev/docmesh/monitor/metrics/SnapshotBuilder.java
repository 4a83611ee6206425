package dev.docmesh.monitor.metrics;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Hand-made snapshots for tests. */
public final class SnapshotBuilder {
  private final Instant at;
  private Instant start = Instant.parse("2026-01-01T00:00:00Z");
  private final Map<String, List<Snapshot.Series>> byName = new HashMap<>();

  private SnapshotBuilder(Instant at) {
    this.at = at;
  }

  public static SnapshotBuilder at(Instant at) {
    return new SnapshotBuilder(at);
  }

  public SnapshotBuilder started(Instant start) {
    this.start = start;
    return this;
  }

  /** labels as alternating name, value. */
  public SnapshotBuilder sample(String name, double value, String... labels) {
    Map<String, String> l = new HashMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      l.put(labels[i], labels[i + 1]);
    }
    byName
        .computeIfAbsent(name, k -> new ArrayList<>())
        .add(new Snapshot.Series(Map.copyOf(l), value));
    return this;
  }

  /** Application unary RPCs of one method: handled OK and errors. */
  public SnapshotBuilder rpcs(String method, double ok, double errors) {
    sample(
        "grpc_server_handled_total",
        ok,
        "grpc_type",
        "unary",
        "grpc_service",
        "docmesh.x.v1.X",
        "grpc_method",
        method,
        "grpc_code",
        "OK");
    if (errors > 0) {
      sample(
          "grpc_server_handled_total",
          errors,
          "grpc_type",
          "unary",
          "grpc_service",
          "docmesh.x.v1.X",
          "grpc_method",
          method,
          "grpc_code",
          "UNAVAILABLE");
    }
    return this;
  }

  /** Cumulative latency buckets of one method: pairs of (le, count). */
  public SnapshotBuilder latency(String method, double... leCount) {
    for (int i = 0; i < leCount.length; i += 2) {
      String le = Double.isInfinite(leCount[i]) ? "+Inf" : Double.toString(leCount[i]);
      sample(
          "grpc_server_handling_seconds_bucket",
          leCount[i + 1],
          "grpc_type",
          "unary",
          "grpc_service",
          "docmesh.x.v1.X",
          "grpc_method",
          method,
          "le",
          le);
    }
    return this;
  }

  public Snapshot build() {
    return new Snapshot(at, start, byName);
  }
}
