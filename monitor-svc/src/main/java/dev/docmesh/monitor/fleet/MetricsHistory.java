package dev.docmesh.monitor.fleet;

import dev.docmesh.monitor.metrics.Snapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/** The snapshots of one instance over the retention window, oldest first. Bounded by time. */
public final class MetricsHistory {
  private final Duration retention;
  private final Deque<Snapshot> snapshots = new ArrayDeque<>();

  public MetricsHistory(Duration retention) {
    this.retention = retention;
  }

  public synchronized void add(Snapshot s) {
    snapshots.addLast(s);
    Instant horizon = s.scrapedAt().minus(retention);
    // keep one snapshot older than the horizon: it is the baseline of a window as long as the
    // retention
    while (snapshots.size() > 2) {
      Iterator<Snapshot> it = snapshots.iterator();
      it.next();
      if (it.next().scrapedAt().isAfter(horizon)) {
        break;
      }
      snapshots.removeFirst();
    }
  }

  public synchronized Optional<Snapshot> latest() {
    return Optional.ofNullable(snapshots.peekLast());
  }

  /** Snapshots from {@code since}, plus the one just before it as the baseline. */
  public synchronized List<Snapshot> since(Instant since) {
    List<Snapshot> out = new ArrayList<>();
    Snapshot baseline = null;
    for (Snapshot s : snapshots) {
      if (s.scrapedAt().isBefore(since)) {
        baseline = s;
      } else {
        out.add(s);
      }
    }
    if (baseline != null) {
      out.add(0, baseline);
    }
    return out;
  }

  /** The last {@code n} snapshots. */
  public synchronized List<Snapshot> last(int n) {
    List<Snapshot> all = new ArrayList<>(snapshots);
    return all.subList(Math.max(0, all.size() - n), all.size());
  }

  public synchronized int size() {
    return snapshots.size();
  }
}
