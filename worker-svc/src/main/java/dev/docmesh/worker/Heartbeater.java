package dev.docmesh.worker;

import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.orchestrator.v1.HeartbeatRequest;
import dev.docmesh.proto.orchestrator.v1.HeartbeatResponse;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import dev.docmesh.proto.relay.v1.OpaqueTask;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one task's lease alive and relays its progress, and that of the follow-ons run under its
 * lease. A heartbeat goes out at least every lease/3 (any beat renews the lease: a progress beat
 * counts), so a healthy task never loses its lease to a missed beat; the worker's {@link
 * KeepAlives} clock sends them. Progress adds beats, but no more often than the progress interval,
 * so a processor reporting every page of a large document does not flood the orchestrator, and not
 * before one interval has passed, so a stage that ends within it costs no beat at all.
 */
final class Heartbeater implements KeepAlives.Beats {
  private static final Logger log = LoggerFactory.getLogger(Heartbeater.class);
  private static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
  private static final long MIN_PERIOD_MS = 20;

  /** What the orchestrator's answers mean for the task. */
  interface Listener {
    void cancelRequested();

    void leaseLost(Status status);
  }

  private final OpaqueTask task;
  private final String workerId;
  private final TaskQueueServiceGrpc.TaskQueueServiceStub stub;
  private final ScheduledExecutorService scheduler;
  private final KeepAlives keepAlives;
  private final long progressIntervalNanos;
  private final long periodMs;
  private final long periodNanos;
  private final Listener listener;
  private Progress pendingProgress;
  private String pendingStage = "";
  private long lastProgressSentNanos;
  private long lastBeatNanos;
  private ScheduledFuture<?> delayedProgress;
  private boolean stopped;
  private int inFlight;

  Heartbeater(
      OpaqueTask task,
      String workerId,
      TaskQueueServiceGrpc.TaskQueueServiceStub stub,
      ScheduledExecutorService scheduler,
      KeepAlives keepAlives,
      Duration progressInterval,
      Listener listener) {
    this.task = task;
    this.workerId = workerId;
    this.stub = stub;
    this.scheduler = scheduler;
    this.keepAlives = keepAlives;
    this.progressIntervalNanos = progressInterval.toNanos();
    Duration lease =
        task.hasLeaseDuration()
                && (task.getLeaseDuration().getSeconds() > 0
                    || task.getLeaseDuration().getNanos() > 0)
            ? Duration.ofSeconds(
                task.getLeaseDuration().getSeconds(), task.getLeaseDuration().getNanos())
            : DEFAULT_LEASE;
    this.periodMs = Math.max(MIN_PERIOD_MS, lease.toMillis() / 3);
    this.periodNanos = TimeUnit.MILLISECONDS.toNanos(periodMs);
    this.listener = listener;
    // the first progress waits one interval too: most stages end sooner, and their result (not a
    // beat per stage, each answered by the orchestrator and fanned out to every watcher) says more
    this.lastProgressSentNanos = System.nanoTime();
  }

  void start() {
    long now = System.nanoTime();
    synchronized (this) {
      lastBeatNanos = now;
    }
    keepAlives.add(this, now + periodNanos);
  }

  @Override
  public synchronized long beatIfDue(long now) {
    if (!stopped && now - lastBeatNanos >= periodNanos) {
      send();
    }
    return lastBeatNanos + periodNanos;
  }

  /**
   * Relays progress now, or as soon as the progress interval allows (the latest one wins, whatever
   * its stage: the one interval bounds the beats of the whole run). {@code followOnStage} is the
   * follow-on the progress belongs to, empty for the task's own.
   */
  synchronized void progress(String followOnStage, Progress progress) {
    if (stopped) {
      return;
    }
    pendingProgress = progress;
    pendingStage = followOnStage;
    long wait = lastProgressSentNanos + progressIntervalNanos - System.nanoTime();
    if (wait <= 0) {
      send();
    } else if (delayedProgress == null) {
      delayedProgress = scheduler.schedule(this::flushProgress, wait, TimeUnit.NANOSECONDS);
    }
  }

  synchronized void stop() {
    stopped = true;
    keepAlives.remove(this);
    if (delayedProgress != null) {
      delayedProgress.cancel(false);
    }
  }

  /**
   * Stops beating and waits (at most one beat's deadline) for the beats already sent to be
   * answered: the result must reach the orchestrator after the last beat, or that beat meets a
   * finished task and is answered FAILED_PRECONDITION.
   */
  synchronized void stopAndAwaitSent() {
    stop();
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(periodMs, 1000));
    long left;
    while (inFlight > 0 && (left = end - System.nanoTime()) > 0) {
      try {
        TimeUnit.NANOSECONDS.timedWait(this, left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private synchronized void answered() {
    inFlight--;
    notifyAll();
  }

  private synchronized boolean isStopped() {
    return stopped;
  }

  private synchronized void flushProgress() {
    delayedProgress = null;
    if (!stopped && pendingProgress != null) {
      send();
    }
  }

  private void send() {
    HeartbeatRequest.Builder request =
        HeartbeatRequest.newBuilder()
            .setTaskId(task.getTaskId())
            .setLeaseToken(task.getLeaseToken())
            .setWorkerId(workerId);
    if (pendingProgress != null) {
      request.setProgress(pendingProgress).setProgressStage(pendingStage);
      pendingProgress = null;
      lastProgressSentNanos = System.nanoTime();
    }
    lastBeatNanos = System.nanoTime();
    inFlight++;
    // progress arrives on the thread running the processor call: keep the beat out of that
    // call's cancellation, or stopping the call would also cancel the beat reporting it
    Context.ROOT.run(
        () ->
            stub.withDeadlineAfter(Math.max(periodMs, 1000), TimeUnit.MILLISECONDS)
                .heartbeat(request.build(), new Answer()));
  }

  private final class Answer implements StreamObserver<HeartbeatResponse> {
    @Override
    public void onNext(HeartbeatResponse response) {
      if (response.getCancelRequested() && !isStopped()) {
        listener.cancelRequested();
      }
    }

    @Override
    public void onError(Throwable t) {
      answered();
      Status status = Status.fromThrowable(t);
      if (isStopped()) {
        return; // an answer to a beat sent just before the result was delivered
      }
      switch (status.getCode()) {
        case FAILED_PRECONDITION, NOT_FOUND -> listener.leaseLost(status);
        default ->
            // transient: the next beat tries again; a lease that lapses meanwhile shows up as stale
            log.atWarn()
                .addKeyValue("task_id", task.getTaskId())
                .log("heartbeat failed: {} {}", status.getCode(), Errors.reason(t).orElse(""));
      }
    }

    @Override
    public void onCompleted() {
      answered();
    }
  }
}
