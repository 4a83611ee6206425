package dev.docmesh.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class GroupCommitTest {
  /** A log whose fsync takes a while, counting fsyncs and what they covered. */
  static final class SlowLog implements GroupCommit.Log {
    final AtomicLong commits = new AtomicLong();
    final AtomicInteger syncs = new AtomicInteger();
    volatile long syncedUpTo;

    long commit() {
      return commits.incrementAndGet();
    }

    @Override
    public long lastCommit() {
      return commits.get();
    }

    @Override
    public void sync() {
      long upTo = commits.get();
      try {
        Thread.sleep(20); // the cost of a disk flush, the thing group commit shares
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      syncs.incrementAndGet();
      syncedUpTo = upTo;
    }
  }

  @Test
  void actionsRunOnlyOnceTheirCommitIsSyncedAndInOrder() {
    SlowLog log = new SlowLog();
    GroupCommit gc = new GroupCommit(log, true);
    List<String> ran = new CopyOnWriteArrayList<>();
    long first = log.commit();
    gc.after(first, () -> ran.add("first@" + log.syncedUpTo));
    long second = log.commit();
    gc.after(second, () -> ran.add("second@" + log.syncedUpTo));
    assertThat(ran).as("nothing is told before the fsync").isEmpty();
    gc.await();
    assertThat(ran).containsExactly("first@2", "second@2");
    assertThat(log.syncs).hasValue(1);
    gc.await();
    assertThat(log.syncs).as("nothing new to sync").hasValue(1);
  }

  @Test
  void concurrentCommitsShareFsyncs() throws Exception {
    SlowLog log = new SlowLog();
    GroupCommit gc = new GroupCommit(log, true);
    int callers = 16;
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Boolean>> results = new java.util.ArrayList<>();
    for (int i = 0; i < callers; i++) {
      results.add(
          pool.submit(
              () -> {
                go.await();
                long mine = log.commit();
                gc.await();
                return log.syncedUpTo >= mine;
              }));
    }
    go.countDown();
    for (Future<Boolean> r : results) {
      assertThat(r.get()).as("await returned only after its commit was synced").isTrue();
    }
    pool.shutdown();
    assertThat(log.syncs.get()).isBetween(1, callers / 2);
  }

  @Test
  void aReaderWaitsForTheWriteItShowsAndNoOtherFsync() {
    SlowLog log = new SlowLog();
    GroupCommit gc = new GroupCommit(log, true);
    long settled = log.commit();
    gc.await();
    assertThat(log.syncs).hasValue(1);
    long later = log.commit(); // another job's change, committed but not yet synced
    gc.await(settled);
    assertThat(log.syncs).as("what it shows is on disk already: no fsync").hasValue(1);
    assertThat(log.syncedUpTo).isLessThan(later);
    gc.await(later);
    assertThat(log.syncs).as("the write it shows is not on disk yet: one fsync").hasValue(2);
    assertThat(log.syncedUpTo).isGreaterThanOrEqualTo(later);
  }

  @Test
  void aReaderOfALostWriteIsRefusedEvenAfterALaterSync() throws Exception {
    ThreadsLog log = new ThreadsLog();
    GroupCommit gc = new GroupCommit(log, true);
    long[] lostWrite = new long[1];
    Thread writer =
        new Thread(
            () -> {
              lostWrite[0] = log.commit();
              gc.lost(lostWrite[0], lostWrite[0], new IllegalStateException("SQLITE_IOERR"));
            });
    writer.start();
    writer.join();
    gc.await(); // a sync covers it by number, but it never reached the file
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> gc.await(lostWrite[0]))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("nothing of it was stored");
  }

  @Test
  void withoutFsyncActionsRunAtOnce() {
    SlowLog log = new SlowLog();
    GroupCommit gc = new GroupCommit(log, false);
    List<Long> ran = new CopyOnWriteArrayList<>();
    gc.after(log.commit(), () -> ran.add(1L));
    assertThat(ran).containsExactly(1L);
    gc.await();
    assertThat(log.syncs).hasValue(0);
  }

  /** A log that knows each thread's writes, and whose next sync can be made to fail. */
  static final class ThreadsLog implements GroupCommit.Log {
    final AtomicLong commits = new AtomicLong();
    final AtomicInteger syncs = new AtomicInteger();
    volatile boolean failNextSync;
    private final ThreadLocal<long[]> mine = ThreadLocal.withInitial(() -> new long[2]);

    long commit() {
      long n = commits.incrementAndGet();
      long[] m = mine.get();
      if (m[0] == 0) {
        m[0] = n;
      }
      m[1] = n;
      return n;
    }

    @Override
    public long lastCommit() {
      return commits.get();
    }

    @Override
    public void sync() {
      if (failNextSync) {
        failNextSync = false;
        throw new StoreException("the disk is full", null);
      }
      syncs.incrementAndGet();
    }

    @Override
    public long[] takeWritesOfThisThread() {
      long[] m = mine.get();
      if (m[0] == 0) {
        return null;
      }
      long[] out = m.clone();
      m[0] = 0;
      m[1] = 0;
      return out;
    }
  }

  /** What an answer registered with whenDurable got. */
  static final class Answer {
    volatile boolean answered;
    volatile StoreException refused;

    void register(GroupCommit gc) {
      gc.whenDurable(() -> answered = true, e -> refused = e);
    }
  }

  @Test
  void anAnswerWaitsForTheNextSyncWithoutItsCallerSyncing() {
    ThreadsLog log = new ThreadsLog();
    GroupCommit gc = new GroupCommit(log, true);
    log.commit();
    Answer a = new Answer();
    a.register(gc);
    assertThat(log.syncs).as("the caller did not sync").hasValue(0);
    assertThat(a.answered).as("nothing is answered before the fsync").isFalse();
    gc.await(); // the sync thread's
    assertThat(a.answered).isTrue();
    assertThat(a.refused).isNull();
    assertThat(log.syncs).hasValue(1);
  }

  @Test
  void anAnswerIsRefusedOnlyWhenItsOwnWriteIsLost() throws Exception {
    ThreadsLog log = new ThreadsLog();
    GroupCommit gc = new GroupCommit(log, true);
    Answer mine = new Answer();
    Answer others = new Answer();
    log.commit(); // write 1: this thread's
    mine.register(gc);
    Thread other =
        new Thread(
            () -> {
              log.commit(); // write 2: the other thread's, lost below
              others.register(gc);
            });
    other.start();
    other.join();
    Answer later = new Answer();
    later.register(gc); // waits for commit 2, which is not its own write
    gc.lost(2, 2, new IllegalStateException("SQLITE_FULL"));
    assertThat(others.refused).as("its own write was lost").isNotNull();
    assertThat(others.refused.getMessage()).contains("nothing of it was stored");
    assertThat(mine.refused).isNull();
    assertThat(later.refused).isNull();
    gc.await();
    assertThat(mine.answered).isTrue();
    assertThat(later.answered).as("another's lost write does not hold it back").isTrue();
    assertThat(others.answered).isFalse();

    Answer afterLoss = new Answer();
    Thread third =
        new Thread(
            () -> {
              log.commit(); // write 3, then reported lost before its caller registers
              gc.lost(3, 3, new IllegalStateException("SQLITE_IOERR"));
              afterLoss.register(gc);
            });
    third.start();
    third.join();
    assertThat(afterLoss.refused).as("lost before it asked: refused at once").isNotNull();
  }

  @Test
  void aFailedSyncRefusesTheAnswersItCoveredAndKeepsPlainActionsForTheNext() {
    ThreadsLog log = new ThreadsLog();
    GroupCommit gc = new GroupCommit(log, true);
    List<String> published = new CopyOnWriteArrayList<>();
    long w = log.commit();
    gc.after(w, () -> published.add("event"));
    Answer a = new Answer();
    a.register(gc);
    log.failNextSync = true;
    org.assertj.core.api.Assertions.assertThatThrownBy(gc::await)
        .isInstanceOf(StoreException.class);
    assertThat(a.refused).as("its caller hears the sync failed").isNotNull();
    assertThat(a.answered).isFalse();
    assertThat(published).as("an event is never published before it is durable").isEmpty();
    gc.await();
    assertThat(published).as("the next sync covers it").containsExactly("event");
    assertThat(a.answered).isFalse();
  }
}
