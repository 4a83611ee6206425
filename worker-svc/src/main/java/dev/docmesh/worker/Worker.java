package dev.docmesh.worker;

import dev.docmesh.meshkit.concurrent.DaemonThreads;
import dev.docmesh.proto.orchestrator.v1.LeaseNext;
import dev.docmesh.proto.relay.v1.OpaqueTask;
import dev.docmesh.proto.worker.v1.WorkerState;
import dev.docmesh.proto.worker.v1.WorkerStatus;
import dev.docmesh.worker.RunControl.StopReason;
import dev.docmesh.worker.WorkerMetrics.Outcome;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's slot loop: N slots, each long-polling the task queue while it is free and the
 * process is under its CPU and heap limits, then running the task it got. Drain stops the polling,
 * lets in-flight tasks run for the grace period, and hands the rest back at once.
 */
final class Worker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Worker.class);
  private static final Duration IDLE_CHECK = Duration.ofMillis(100);

  /** After the grace, how long handed-back tasks get to deliver their FailTask. */
  private static final Duration HAND_BACK_WAIT = Duration.ofSeconds(10);

  private final WorkerConfig config;
  private final WorkerMetrics metrics;
  private final TaskQueueClient queue;
  private final ProcessorClient processors;
  private final ResourceGauge resources;
  private final ScheduledExecutorService timers;
  private final ScheduledExecutorService catalogRefresher;
  private final TaskRun.Services services;
  private final CountDownLatch drainStarted = new CountDownLatch(1);
  private final CountDownLatch drained = new CountDownLatch(1);
  private final Map<String, TaskRun> active = new ConcurrentHashMap<>();
  private final AtomicInteger busy = new AtomicInteger();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final List<Thread> slots = new ArrayList<>();
  private volatile WorkerState state = WorkerState.WORKER_STATE_RUNNING;
  private volatile Consumer<Boolean> servingSwitch = serving -> {};

  /** {@code timers} also serve the clients' heartbeats; the wiring owns and stops them. */
  Worker(
      WorkerConfig config,
      WorkerMetrics metrics,
      TaskQueueClient queue,
      ProcessorClient processors,
      ScheduledExecutorService timers,
      OpenTelemetry openTelemetry) {
    this.config = config;
    this.metrics = metrics;
    this.queue = queue;
    this.processors = processors;
    this.resources = new ResourceGauge(config.maxCpu(), config.maxHeap());
    this.timers = timers;
    this.catalogRefresher =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.factory("worker-catalog"));
    this.services =
        new TaskRun.Services(
            config,
            queue,
            processors,
            openTelemetry.getTracer("dev.docmesh.worker"),
            openTelemetry.getPropagators().getTextMapPropagator(),
            this::leaseNext,
            () -> state != WorkerState.WORKER_STATE_RUNNING);
    metrics.slots(config.slots(), 0);
  }

  /** Starts polling; {@code servingSwitch} turns the server's health NOT_SERVING when draining. */
  synchronized void start(Consumer<Boolean> servingSwitch) {
    this.servingSwitch = servingSwitch;
    timers.scheduleAtFixedRate(resources::sample, 0, 1, TimeUnit.SECONDS);
    catalogRefresher.execute(new CatalogRefresh());
    for (int i = 0; i < config.slots(); i++) {
      slots.add(DaemonThreads.start("worker-slot-" + i, this::slotLoop));
    }
    log.atInfo()
        .addKeyValue("worker_id", config.workerId())
        .addKeyValue("slots", config.slots())
        .log(
            "worker polling {} for processors at {}",
            config.orchestratorTarget(),
            config.processorTarget());
  }

  WorkerStatus status() {
    return WorkerStatus.newBuilder()
        .setWorkerId(config.workerId())
        .setState(state)
        .setSlotsTotal(config.slots())
        .setSlotsBusy(busy.get())
        .addAllActiveTasks(active.values().stream().map(TaskRun::describe).toList())
        .setTasksCompleted(completed.get())
        .setTasksFailed(failed.get())
        .setCpuUsage(resources.cpuUsage())
        .setHeapUsedBytes(resources.heapUsed())
        .setHeapMaxBytes(resources.heapMax())
        .addAllProcessors(processors.names())
        .setBackpressure(resources.overLimit())
        .build();
  }

  /**
   * Begins draining (idempotent) and returns at once: health NOT_SERVING, polls cancelled,
   * in-flight tasks get {@code grace}, then are handed back.
   */
  synchronized WorkerStatus drain(Duration grace, String reason) {
    if (state == WorkerState.WORKER_STATE_RUNNING) {
      log.atInfo()
          .addKeyValue("grace_ms", grace.toMillis())
          .addKeyValue("in_flight", active.size())
          .log("draining: {}", reason);
      state = WorkerState.WORKER_STATE_DRAINING;
      servingSwitch.accept(false);
      drainStarted.countDown();
      queue.closePolls();
      DaemonThreads.start("worker-drain", () -> finishDrain(grace));
    }
    return status();
  }

  /** SIGTERM: drain with the shutdown grace and wait until it is done. */
  void drainAndWait() {
    drain(config.shutdownGrace(), "shutdown");
    awaitQuietly(drained, config.shutdownGrace().plus(HAND_BACK_WAIT).plus(Duration.ofSeconds(5)));
  }

  private void finishDrain(Duration grace) {
    long until = System.nanoTime() + grace.toNanos();
    awaitIdle(until);
    if (!active.isEmpty()) {
      log.info("grace over; handing back {} task(s)", active.size());
      active.values().forEach(run -> run.stop(StopReason.HAND_BACK));
    }
    for (Thread slot : slots) {
      long left = until + HAND_BACK_WAIT.toNanos() - System.nanoTime();
      joinQuietly(slot, Math.max(left, 0));
    }
    if (!active.isEmpty()) {
      log.warn("{} task(s) did not settle; abandoning their results", active.size());
      queue.abandonResults();
      slots.forEach(s -> joinQuietly(s, TimeUnit.SECONDS.toNanos(5)));
    }
    state = WorkerState.WORKER_STATE_DRAINED;
    drained.countDown();
    log.info("drained");
  }

  @Override
  public void close() {
    drain(Duration.ZERO, "closing");
    awaitQuietly(drained, HAND_BACK_WAIT.plus(Duration.ofSeconds(5)));
    queue.abandonResults();
    catalogRefresher.shutdownNow();
  }

  private void slotLoop() {
    Backoff backoff = new Backoff(config.backoffInitial(), config.backoffMax());
    while (state == WorkerState.WORKER_STATE_RUNNING) {
      if (!mayPoll()) {
        awaitQuietly(drainStarted, IDLE_CHECK);
        continue;
      }
      OpaqueTask task;
      try {
        task = poll();
        backoff.reset();
      } catch (StatusRuntimeException e) {
        if (state != WorkerState.WORKER_STATE_RUNNING) {
          break;
        }
        Duration delay = backoff.next();
        log.atWarn()
            .log("poll failed ({}); retrying in {} ms", e.getStatus().getCode(), delay.toMillis());
        awaitQuietly(drainStarted, delay);
        queue.reconnect();
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      // a completion may hand the slot its next task: run it without polling
      while (task != null) {
        task = runTask(task);
      }
    }
  }

  /**
   * What a completion asks for to be handed the slot's next task at once (one call a task instead
   * of a CompleteTask and a PollTask); null when the slot would not poll now.
   */
  private LeaseNext leaseNext() {
    if (state != WorkerState.WORKER_STATE_RUNNING || !mayPoll()) {
      return null;
    }
    return LeaseNext.newBuilder()
        .addAllProcessors(processors.names())
        .setSlotsTotal(config.slots())
        .setSlotsBusy(busy.get())
        .setMaxFollowOns(config.maxFollowOns())
        .build();
  }

  /** Free slot (this one), processors known, circuit not open, CPU and heap under their limits. */
  private boolean mayPoll() {
    return !processors.names().isEmpty() && processors.isCallPermitted() && !resources.overLimit();
  }

  private OpaqueTask poll() throws InterruptedException {
    long start = System.nanoTime();
    try {
      Optional<OpaqueTask> task = queue.poll(processors.names(), busy.get());
      return task.orElse(null);
    } finally {
      metrics.pollSeconds.observe((System.nanoTime() - start) / 1e9);
    }
  }

  /** Runs {@code task}; the next task its completion was handed, or null. */
  private OpaqueTask runTask(OpaqueTask task) {
    TaskRun run = new TaskRun(task, services);
    synchronized (this) {
      active.put(task.getTaskId(), run);
      if (state != WorkerState.WORKER_STATE_RUNNING) {
        // leased just as draining began: give it back now rather than let its lease run out
        run.stop(StopReason.HAND_BACK);
      }
    }
    metrics.slots(config.slots(), busy.incrementAndGet());
    log.atInfo()
        .addKeyValue("task_id", task.getTaskId())
        .addKeyValue("attempt", task.getAttempt())
        .log("running {} ({})", task.getTaskId(), task.getProcessor());
    Outcome outcome = Outcome.LEASE_LOST;
    try {
      outcome = run.run();
    } catch (RuntimeException e) {
      log.error("task {} crashed the slot's run", task.getTaskId(), e);
    } finally {
      active.remove(task.getTaskId());
      metrics.slots(config.slots(), busy.decrementAndGet());
      metrics.taskEnded(task.getProcessor(), outcome, run.elapsedSeconds());
      for (FollowOnChain.Ran followOn : run.followOns()) {
        metrics.followOnEnded(followOn.followOn().getProcessor(), followOn.outcome(outcome));
      }
      switch (outcome) {
        case COMPLETED -> completed.addAndGet(1 + FollowOnChain.outputs(run.followOns()).size());
        case CANCELLED -> {} // the job's choice, not a failure of this worker
        default -> failed.incrementAndGet();
      }
      synchronized (active) {
        active.notifyAll();
      }
      log.atInfo()
          .addKeyValue("task_id", task.getTaskId())
          .addKeyValue("outcome", outcome.label())
          .log("task {} {}", task.getTaskId(), outcome.label());
    }
    return run.next();
  }

  /**
   * Refreshes the processor list periodically; sooner while it is empty or the service is
   * unreachable.
   */
  private final class CatalogRefresh implements Runnable {
    private final Backoff backoff =
        new Backoff(config.backoffInitial(), min(config.backoffMax(), config.breakerCooldown()));

    @Override
    public void run() {
      Duration next;
      if (processors.refreshCatalog()) {
        backoff.reset();
        next = config.processorRefresh();
      } else {
        next = min(config.processorRefresh(), backoff.next());
      }
      if (state != WorkerState.WORKER_STATE_DRAINED) {
        catalogRefresher.schedule(this, next.toNanos(), TimeUnit.NANOSECONDS);
      }
    }
  }

  /** Waits until no task is running or the time is up. */
  private void awaitIdle(long untilNanos) {
    synchronized (active) {
      long left;
      while (!active.isEmpty() && (left = untilNanos - System.nanoTime()) > 0) {
        try {
          TimeUnit.NANOSECONDS.timedWait(active, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static void awaitQuietly(CountDownLatch latch, Duration timeout) {
    try {
      latch.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void joinQuietly(Thread thread, long nanos) {
    try {
      TimeUnit.NANOSECONDS.timedJoin(thread, Math.max(nanos, 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
