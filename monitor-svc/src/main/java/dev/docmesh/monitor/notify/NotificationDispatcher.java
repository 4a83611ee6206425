package dev.docmesh.monitor.notify;

import dev.docmesh.proto.monitor.v1.Alert;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands notifications to every notifier without ever blocking the caller (the rule evaluation).
 * Each notifier has its own queue, delivered in order; a failed delivery is retried with
 * exponential backoff while later ones wait behind it. A queue that overflows drops its oldest
 * batch: a receiver that is down for hours cares about the latest state.
 */
public final class NotificationDispatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NotificationDispatcher.class);
  private static final int MAX_QUEUED = 1000;

  private final List<Queue> queues = new ArrayList<>();

  public NotificationDispatcher(
      List<Notifier> notifiers,
      ScheduledExecutorService executor,
      Duration initialBackoff,
      Duration maxBackoff) {
    for (Notifier n : notifiers) {
      queues.add(new Queue(n, executor, initialBackoff, maxBackoff));
    }
  }

  /** Queues the alerts, one batch per rule and state (the webhook's grouping). */
  public void submit(List<Alert> alerts) {
    if (alerts.isEmpty()) {
      return;
    }
    Map<String, List<Alert>> groups = new LinkedHashMap<>();
    for (Alert a : alerts) {
      groups.computeIfAbsent(a.getRule() + "/" + a.getState(), k -> new ArrayList<>()).add(a);
    }
    for (List<Alert> batch : groups.values()) {
      queues.forEach(q -> q.offer(List.copyOf(batch)));
    }
  }

  @Override
  public void close() {
    queues.forEach(Queue::close);
  }

  private static final class Queue {
    private final Notifier notifier;
    private final ScheduledExecutorService executor;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Deque<List<Alert>> pending = new ArrayDeque<>();
    private boolean delivering;
    private boolean closed;
    private Duration backoff;
    private int attempts;

    Queue(
        Notifier notifier,
        ScheduledExecutorService executor,
        Duration initialBackoff,
        Duration maxBackoff) {
      this.notifier = notifier;
      this.executor = executor;
      this.initialBackoff = initialBackoff;
      this.maxBackoff = maxBackoff;
      this.backoff = initialBackoff;
    }

    synchronized void offer(List<Alert> batch) {
      if (closed) {
        return;
      }
      if (pending.size() >= MAX_QUEUED) {
        pending.removeFirst();
        log.warn("{}: too many undelivered notifications; dropped the oldest", notifier.name());
      }
      pending.addLast(batch);
      if (!delivering) {
        delivering = true;
        executor.execute(this::deliver);
      }
    }

    private void deliver() {
      List<Alert> batch;
      synchronized (this) {
        batch = pending.peekFirst();
        if (batch == null || closed) {
          delivering = false;
          return;
        }
      }
      try {
        notifier.send(batch);
        synchronized (this) {
          pending.remove(batch);
          attempts = 0;
          backoff = initialBackoff;
        }
        executor.execute(this::deliver);
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        Duration wait;
        synchronized (this) {
          attempts++;
          wait = backoff;
          backoff =
              backoff.multipliedBy(2).compareTo(maxBackoff) > 0
                  ? maxBackoff
                  : backoff.multipliedBy(2);
        }
        log.warn(
            "{}: delivery attempt {} failed ({}); retrying in {}",
            notifier.name(),
            attempts,
            e.getMessage(),
            wait);
        try {
          executor.schedule(this::deliver, wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
          // shutting down
        }
      }
    }

    synchronized void close() {
      closed = true;
    }
  }
}
