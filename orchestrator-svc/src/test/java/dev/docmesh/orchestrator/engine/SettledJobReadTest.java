package dev.docmesh.orchestrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.orchestrator.events.StreamSink;
import dev.docmesh.orchestrator.store.GroupCommit;
import dev.docmesh.orchestrator.store.SqliteJobStore;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading a job (GetJob, the replay of WatchJob) waits for that job's last change to be on disk,
 * and for nothing else: a settled job is answered while another job's fsync is still under way, and
 * a job whose change is not on disk yet is answered only after the fsync that holds it.
 */
class SettledJobReadTest {
  @TempDir Path data;
  SqliteJobStore store;
  HeldSyncs log;
  ScheduledExecutorService timer;
  ExecutorService streams;
  ExecutorService readers;
  JobEngine engine;

  /** The store's log, whose fsyncs can be held, recording how far each finished one reached. */
  static final class HeldSyncs implements GroupCommit.Log {
    final SqliteJobStore store;
    volatile CountDownLatch gate = new CountDownLatch(0);
    volatile long syncedUpTo;

    HeldSyncs(SqliteJobStore store) {
      this.store = store;
    }

    @Override
    public long lastCommit() {
      return store.lastCommit();
    }

    @Override
    public void sync() {
      long upTo = store.lastCommit();
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      store.sync();
      syncedUpTo = upTo;
    }

    @Override
    public void groupWrites(GroupCommit.LostWrites lost) {
      store.groupWrites(lost);
    }

    @Override
    public void flush() {
      store.flush();
    }

    @Override
    public long lastWriteOfThisThread() {
      return store.lastWriteOfThisThread();
    }

    @Override
    public long[] takeWritesOfThisThread() {
      return store.takeWritesOfThisThread();
    }
  }

  @BeforeEach
  void start() {
    store = new SqliteJobStore(data.resolve("o.db"), "NORMAL");
    log = new HeldSyncs(store);
    timer = Executors.newSingleThreadScheduledExecutor();
    streams = Executors.newSingleThreadExecutor();
    readers = Executors.newCachedThreadPool();
    engine = TestEngines.start(data, store, log, timer, streams);
  }

  @AfterEach
  void stop() {
    log.gate.countDown();
    engine.close();
    readers.shutdownNow();
    timer.shutdownNow();
    streams.shutdownNow();
    store.close();
  }

  @Test
  void aSettledJobIsReadWithoutWaitingForAnotherJobsFsync() throws Exception {
    Job settled = submit("1").get(10, TimeUnit.SECONDS);

    CountDownLatch held = new CountDownLatch(1);
    log.gate = held;
    CompletableFuture<Job> pending = submit("2");
    Awaitility.await().until(() -> store.lastCommit() > log.syncedUpTo);
    assertThat(pending).as("its answer waits for the held fsync").isNotDone();

    CompletableFuture<Job> read = async(() -> engine.job(settled.getId()));
    List<WatchJobResponse> replayed = new CopyOnWriteArrayList<>();
    readers.execute(() -> engine.watch(settled.getId(), 0, collect(replayed)));
    Awaitility.await().until(read::isDone);
    assertThat(read.get().getId()).isEqualTo(settled.getId());
    Awaitility.await()
        .untilAsserted(
            () ->
                assertThat(replayed)
                    .as("its stored events are replayed, also while the fsync is held")
                    .isNotEmpty());
    assertThat(pending).isNotDone();

    long unsynced = store.lastCommit();
    String pendingId =
        store.loadUnfinished().stream()
            .map(j -> j.id())
            .filter(id -> !id.equals(settled.getId()))
            .findFirst()
            .orElseThrow();
    CompletableFuture<Long> readUnsynced =
        async(
            () -> {
              engine.job(pendingId);
              return log.syncedUpTo;
            });
    held.countDown();
    assertThat(readUnsynced.get(10, TimeUnit.SECONDS))
        .as("a job whose change is not on disk is shown only after the fsync that holds it")
        .isGreaterThanOrEqualTo(unsynced);
    assertThat(pending.get(10, TimeUnit.SECONDS).getId()).isEqualTo(pendingId);
  }

  private <T> CompletableFuture<T> async(java.util.concurrent.Callable<T> c) {
    CompletableFuture<T> f = new CompletableFuture<>();
    readers.execute(
        () -> {
          try {
            f.complete(c.call());
          } catch (Exception | Error e) {
            f.completeExceptionally(e);
          }
        });
    return f;
  }

  private static StreamSink<WatchJobResponse> collect(List<WatchJobResponse> into) {
    return new StreamSink<>() {
      @Override
      public void send(WatchJobResponse message) {
        into.add(message);
      }

      @Override
      public void end() {}

      @Override
      public void fail(RuntimeException error) {}

      @Override
      public boolean isReady() {
        return true;
      }

      @Override
      public void onReady(Runnable r) {}

      @Override
      public void onGone(Runnable r) {}

      @Override
      public boolean isGone() {
        return false;
      }
    };
  }

  /** A pdf-standard job over a document id made of {@code digit}, answered once durable. */
  private CompletableFuture<Job> submit(String digit) {
    return TestEngines.submitPdfStandard(engine, digit);
  }
}
