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
  void withoutFsyncActionsRunAtOnce() {
    SlowLog log = new SlowLog();
    GroupCommit gc = new GroupCommit(log, false);
    List<Long> ran = new CopyOnWriteArrayList<>();
    gc.after(log.commit(), () -> ran.add(1L));
    assertThat(ran).containsExactly(1L);
    gc.await();
    assertThat(log.syncs).hasValue(0);
  }
}
