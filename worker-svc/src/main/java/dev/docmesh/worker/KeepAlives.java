package dev.docmesh.worker;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One timer for the keep-alive beats of every running task. A beat scheduled per task woke the
 * timer thread two or three times a task — when its beat became the earliest one, and at its time
 * even after the task had ended and cancelled it — although most stages end long before their first
 * beat is due; on a virtual machine each wake-up costs about a tenth of a millisecond of CPU. This
 * clock sleeps until the earliest beat due among the tasks running at that moment: under a steady
 * load of short stages it wakes about once per beat period for the whole worker, and not at all
 * when no task runs.
 */
final class KeepAlives {
  private static final long MIN_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /** A task's beats: sends the ones due by {@code now}, returns when the next one is due. */
  interface Beats {
    long beatIfDue(long now);
  }

  private final ScheduledExecutorService scheduler;
  private final Set<Beats> running = ConcurrentHashMap.newKeySet();
  private ScheduledFuture<?> tick; // guarded by this; null when no tick is scheduled or running
  private long tickAt; // guarded by this
  private boolean ticking; // guarded by this: a tick is reading the running tasks
  private long addedDue; // guarded by this: the earliest first beat of a task added meanwhile
  private boolean added; // guarded by this

  KeepAlives(ScheduledExecutorService scheduler) {
    this.scheduler = scheduler;
  }

  /** Beats for {@code beats} from now on; its first is due at {@code firstDue} (nanoTime). */
  void add(Beats beats, long firstDue) {
    running.add(beats);
    synchronized (this) {
      if (ticking) {
        // the running tick may have passed it by: it schedules the next one for this too
        addedDue = added && addedDue - firstDue < 0 ? addedDue : firstDue;
        added = true;
      } else if (tick == null) {
        schedule(firstDue);
      } else if (firstDue - tickAt < 0) {
        tick.cancel(false); // rare: a task with a shorter lease than every running one
        schedule(firstDue);
      }
    }
  }

  void remove(Beats beats) {
    running.remove(beats);
  }

  private void tick() {
    synchronized (this) {
      ticking = true;
      added = false;
    }
    long now = System.nanoTime();
    long next = 0;
    boolean any = false;
    for (Beats b : running) {
      long due = b.beatIfDue(now);
      if (!any || due - next < 0) {
        next = due;
      }
      any = true;
    }
    synchronized (this) {
      ticking = false;
      tick = null;
      if (added) {
        next = any && next - addedDue < 0 ? next : addedDue;
        any = true;
      }
      if (any) {
        schedule(next);
      }
    }
  }

  private void schedule(long at) {
    tickAt = at;
    long delay = Math.max(MIN_DELAY_NANOS, at - System.nanoTime());
    tick = scheduler.schedule(this::tick, delay, TimeUnit.NANOSECONDS);
  }
}
