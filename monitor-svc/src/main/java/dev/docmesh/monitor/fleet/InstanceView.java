package dev.docmesh.monitor.fleet;

import dev.docmesh.monitor.metrics.Snapshot;
import dev.docmesh.proto.monitor.v1.HealthState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** What the status, the rules and the charts may know about one instance. */
public interface InstanceView {
  String service();

  String address();

  HealthState health();

  Instant lastChange();

  /** Instance id the instance reports about itself; empty before its first scrape. */
  String instanceId();

  Optional<Snapshot> latest();

  /** Snapshots covering the last {@code window} (with a baseline before it), oldest first. */
  List<Snapshot> window(Duration window);

  /** The last two snapshots: the "recent past" of the status. */
  List<Snapshot> recent();
}
