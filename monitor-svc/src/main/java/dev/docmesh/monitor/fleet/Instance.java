package dev.docmesh.monitor.fleet;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import dev.docmesh.monitor.discovery.InstanceKey;
import dev.docmesh.monitor.metrics.Snapshot;
import dev.docmesh.proto.monitor.v1.HealthState;
import dev.docmesh.proto.telemetry.v1.GetMetricsRequest;
import dev.docmesh.proto.telemetry.v1.GetMetricsResponse;
import dev.docmesh.proto.telemetry.v1.TelemetryServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watched instance: a {@code Health/Watch} stream that reconnects with backoff, and a {@code
 * GetMetrics} scrape on demand into its history.
 */
final class Instance implements InstanceView, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Instance.class);
  private static final Duration INITIAL_BACKOFF = Duration.ofMillis(100);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  /**
   * A draining instance reports NOT_SERVING and waits for open calls before it stops; an open watch
   * would hold its shutdown up, so the monitor lets go and looks again after this.
   */
  private static final Duration RECHECK_NOT_SERVING = Duration.ofSeconds(1);

  private final InstanceKey key;
  private final ManagedChannel channel;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final InstanceHealth health;
  private final MetricsHistory history;
  private final Duration scrapeTimeout;
  private volatile String instanceId = "";
  private volatile boolean closed;
  private Duration backoff = INITIAL_BACKOFF;
  private ClientCallStreamObserver<HealthCheckRequest> watch;

  Instance(
      InstanceKey key,
      ManagedChannel channel,
      ScheduledExecutorService scheduler,
      Clock clock,
      Duration downAfter,
      Duration retention,
      Duration scrapeTimeout) {
    this.key = key;
    this.channel = channel;
    this.scheduler = scheduler;
    this.clock = clock;
    this.health = new InstanceHealth(clock.instant(), downAfter);
    this.history = new MetricsHistory(retention);
    this.scrapeTimeout = scrapeTimeout;
  }

  void start() {
    watchHealth();
  }

  private synchronized void watchHealth() {
    if (closed) {
      return;
    }
    HealthGrpc.newStub(channel)
        .watch(
            HealthCheckRequest.getDefaultInstance(),
            new ClientResponseObserver<HealthCheckRequest, HealthCheckResponse>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<HealthCheckRequest> call) {
                watch = call;
              }

              @Override
              public void onNext(HealthCheckResponse value) {
                health.reachable(value.getStatus(), clock.instant());
                synchronized (Instance.this) {
                  backoff = INITIAL_BACKOFF;
                }
                if (value.getStatus() != ServingStatus.SERVING) {
                  watch.cancel("instance is not serving; looking again later", null);
                  scheduleWatch(RECHECK_NOT_SERVING);
                }
              }

              @Override
              public void onError(Throwable t) {
                if (closed
                    || io.grpc.Status.fromThrowable(t).getCode() == io.grpc.Status.Code.CANCELLED) {
                  return;
                }
                log.debug(
                    "health watch of {} {} failed: {}", key.service(), key.address(), t.toString());
                health.unreachable(clock.instant());
                reconnectLater();
              }

              @Override
              public void onCompleted() {
                health.unreachable(clock.instant());
                reconnectLater();
              }
            });
  }

  private void reconnectLater() {
    Duration delay;
    synchronized (this) {
      delay = backoff;
      backoff =
          backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
              ? MAX_BACKOFF
              : backoff.multipliedBy(2);
    }
    scheduleWatch(delay);
  }

  private void scheduleWatch(Duration delay) {
    if (closed) {
      return;
    }
    scheduler.schedule(
        () -> {
          // the channel's own reconnect backoff grows to minutes; ours decides when to try
          channel.resetConnectBackoff();
          watchHealth();
        },
        delay.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** Reads the instance's metrics into its history; failures only mean a gap in it. */
  void scrape() {
    if (closed) {
      return;
    }
    Futures.addCallback(
        TelemetryServiceGrpc.newFutureStub(channel)
            .withDeadlineAfter(scrapeTimeout.toMillis(), TimeUnit.MILLISECONDS)
            .getMetrics(GetMetricsRequest.getDefaultInstance()),
        new FutureCallback<GetMetricsResponse>() {
          @Override
          public void onSuccess(GetMetricsResponse result) {
            instanceId = result.getInstance();
            history.add(Snapshot.of(result, clock.instant()));
          }

          @Override
          public void onFailure(Throwable t) {
            log.debug("scrape of {} {} failed: {}", key.service(), key.address(), t.toString());
          }
        },
        MoreExecutors.directExecutor());
  }

  InstanceKey key() {
    return key;
  }

  @Override
  public String service() {
    return key.service();
  }

  @Override
  public String address() {
    return key.address();
  }

  @Override
  public HealthState health() {
    return health.state(clock.instant());
  }

  @Override
  public java.time.Instant lastChange() {
    return health.lastChange(clock.instant());
  }

  @Override
  public String instanceId() {
    return instanceId;
  }

  @Override
  public Optional<Snapshot> latest() {
    return history.latest();
  }

  @Override
  public List<Snapshot> window(Duration window) {
    return history.since(clock.instant().minus(window));
  }

  @Override
  public List<Snapshot> recent() {
    return history.last(2);
  }

  @Override
  public void close() {
    closed = true;
    ClientCallStreamObserver<HealthCheckRequest> w;
    synchronized (this) {
      w = watch;
    }
    if (w != null) {
      w.cancel("instance no longer watched", null);
    }
    channel.shutdownNow();
  }
}
