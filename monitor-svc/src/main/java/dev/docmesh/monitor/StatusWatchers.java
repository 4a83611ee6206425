package dev.docmesh.monitor;

import dev.docmesh.proto.monitor.v1.InstanceStatus;
import dev.docmesh.proto.monitor.v1.ServiceStatus;
import dev.docmesh.proto.monitor.v1.SystemStatus;
import dev.docmesh.proto.monitor.v1.WatchSystemStatusResponse;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The {@code WatchSystemStatus} streams: each gets the status whenever it changes (health,
 * instances, alerts, queue, jobs, slots — not the ever-moving rates) and at least every interval it
 * asked for. A client that does not keep up skips interval updates.
 */
final class StatusWatchers {
  private final ScheduledExecutorService scheduler;
  private final Supplier<SystemStatus> status;
  private final Set<Watcher> watchers = ConcurrentHashMap.newKeySet();

  StatusWatchers(ScheduledExecutorService scheduler, Supplier<SystemStatus> status) {
    this.scheduler = scheduler;
    this.status = status;
  }

  private final class Watcher {
    final ServerCallStreamObserver<WatchSystemStatusResponse> stream;
    final long intervalNanos;
    ScheduledFuture<?> ticker;
    SystemStatus lastKey;
    long lastSentNanos;

    Watcher(ServerCallStreamObserver<WatchSystemStatusResponse> stream, Duration interval) {
      this.stream = stream;
      this.intervalNanos = interval.toNanos();
    }

    synchronized void maybeSend(SystemStatus s, boolean changesOnly) {
      SystemStatus key = changeKey(s);
      boolean changed = !key.equals(lastKey);
      boolean due = System.nanoTime() - lastSentNanos >= intervalNanos;
      if (stream.isCancelled() || !(changed || (!changesOnly && due && stream.isReady()))) {
        return;
      }
      stream.onNext(WatchSystemStatusResponse.newBuilder().setStatus(s).build());
      lastKey = key;
      lastSentNanos = System.nanoTime();
    }
  }

  void add(ServerCallStreamObserver<WatchSystemStatusResponse> stream, Duration interval) {
    Watcher w = new Watcher(stream, interval);
    watchers.add(w);
    stream.setOnCancelHandler(() -> remove(w));
    w.maybeSend(status.get(), false);
    long period = Math.max(100, interval.toMillis() / 4);
    w.ticker =
        scheduler.scheduleAtFixedRate(
            () -> w.maybeSend(status.get(), false), period, period, TimeUnit.MILLISECONDS);
  }

  private void remove(Watcher w) {
    watchers.remove(w);
    if (w.ticker != null) {
      w.ticker.cancel(false);
    }
  }

  /** After an evaluation: every watcher whose view changed hears of it. */
  void changed(SystemStatus s) {
    for (Watcher w : watchers) {
      w.maybeSend(s, true);
    }
  }

  void completeAll() {
    for (Watcher w : watchers) {
      remove(w);
      synchronized (w) {
        if (!w.stream.isCancelled()) {
          w.stream.onCompleted();
        }
      }
    }
  }

  /** The status without what moves on every scrape. */
  static SystemStatus changeKey(SystemStatus s) {
    SystemStatus.Builder b = s.toBuilder().clearTime();
    for (ServiceStatus.Builder svc : b.getServicesBuilderList()) {
      svc.clearSignals();
      for (InstanceStatus.Builder i : svc.getInstancesBuilderList()) {
        i.clearSignals().clearCpuUsage().clearHeapUsedBytes().clearHeapMaxBytes();
      }
    }
    b.clearActiveAlerts();
    s.getActiveAlertsList().forEach(a -> b.addActiveAlerts(a.toBuilder().clearValue()));
    return b.build();
  }
}
