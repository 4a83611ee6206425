package dev.docmesh.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KeepAlivesTest {
  private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
  private final KeepAlives clock = new KeepAlives(timer);

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  /** Beats every {@code period}, recording when. */
  private static final class Task implements KeepAlives.Beats {
    final long periodNanos;
    final List<Long> beats = new CopyOnWriteArrayList<>();
    long last;

    Task(Duration period) {
      this.periodNanos = period.toNanos();
      this.last = System.nanoTime();
    }

    long firstDue() {
      return last + periodNanos;
    }

    @Override
    public synchronized long beatIfDue(long now) {
      if (now - last >= periodNanos) {
        beats.add(now);
        last = now;
      }
      return last + periodNanos;
    }
  }

  @Test
  void aTaskEndedBeforeItsFirstBeatLeavesNoTimerBehind() {
    Task shortStage = new Task(Duration.ofMillis(300));
    clock.add(shortStage, shortStage.firstDue());
    clock.remove(shortStage);
    // the one tick left wakes at the beat's time, finds no task and schedules nothing more
    await().atMost(Duration.ofSeconds(10)).until(() -> timer.getQueue().isEmpty());
    assertThat(timer.getCompletedTaskCount()).isEqualTo(1);
    assertThat(shortStage.beats).isEmpty();
  }

  @Test
  void everyRunningTaskBeatsAtItsOwnPeriodOnOneTimer() {
    Task slow = new Task(Duration.ofMillis(400));
    clock.add(slow, slow.firstDue());
    // added later with a shorter lease than the one the clock sleeps for: it must not wait for it
    Task fast = new Task(Duration.ofMillis(60));
    clock.add(fast, fast.firstDue());
    await().atMost(Duration.ofSeconds(10)).until(() -> slow.beats.size() >= 3);

    assertThat(fast.beats.get(0))
        .as("first fast beat before the first slow one")
        .isLessThan(slow.beats.get(0));
    assertThat(fast.beats.size()).isGreaterThanOrEqualTo(3 * 400 / 60 - 4);
    assertThat(timer.getQueue()).as("one tick scheduled at a time").hasSizeLessThanOrEqualTo(1);
    long medianGapMs = medianGapMs(fast.beats);
    assertThat(medianGapMs).isBetween(50L, 200L);

    clock.remove(slow);
    clock.remove(fast);
    await().atMost(Duration.ofSeconds(10)).until(() -> timer.getQueue().isEmpty());
    int after = fast.beats.size() + slow.beats.size();
    Task next = new Task(Duration.ofMillis(50));
    clock.add(next, next.firstDue());
    await().atMost(Duration.ofSeconds(10)).until(() -> next.beats.size() >= 2);
    assertThat(fast.beats.size() + slow.beats.size()).isEqualTo(after);
  }

  private static long medianGapMs(List<Long> beats) {
    List<Long> gaps = new java.util.ArrayList<>();
    for (int i = 1; i < beats.size(); i++) {
      gaps.add(TimeUnit.NANOSECONDS.toMillis(beats.get(i) - beats.get(i - 1)));
    }
    java.util.Collections.sort(gaps);
    return gaps.get(gaps.size() / 2);
  }
}
