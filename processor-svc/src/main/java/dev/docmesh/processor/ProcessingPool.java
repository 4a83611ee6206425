package dev.docmesh.processor;

import dev.docmesh.meshkit.concurrent.DaemonThreads;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The bounded threads that run PDFBox work, and the timer that enforces time limits. A full pool
 * and queue reject new work (the caller answers PROCESSOR_BUSY) instead of piling it up.
 */
final class ProcessingPool implements AutoCloseable {
  /** Deep but finite: a hostile document that recurses past it ends as LIMIT_NESTING. */
  private static final long STACK_BYTES = 4L * 1024 * 1024;

  private final ThreadPoolExecutor executor;
  private final ScheduledExecutorService timer;
  private final boolean lends;

  ProcessingPool(int threads, int queue) {
    // With no queue a call that finds every thread busy is refused at once: a lent thread would
    // turn a call that an idle thread could have served into PROCESSOR_BUSY, so none is lent.
    this.lends = queue > 0 && threads > 1;
    BlockingQueue<Runnable> waiting =
        queue == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queue);
    executor =
        new ThreadPoolExecutor(
            threads,
            threads,
            0,
            TimeUnit.MILLISECONDS,
            waiting,
            DaemonThreads.factory("processor-work", STACK_BYTES));
    timer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.factory("processor-timer"));
  }

  void execute(Runnable work) {
    executor.execute(work);
  }

  /**
   * Runs {@code work} on a thread that is idle now; false, running nothing, when none is or calls
   * are queued (a call always comes before lent help). Should another call take the thread first,
   * {@code work} waits in the queue like a call and must then find nothing left to do. Never with
   * no queue. Not gated on the machine's recent CPU load: lending only while a core looked idle
   * over the last 100 ms (tried, 1a635f5) cost direct pdf.text calls ~15 % (a busy average hides
   * the gaps between one caller's calls that a lent thread fills) for ~7 % on the whole mesh, where
   * the processor shares its cores (A/B, 4 runs each, in processor-svc/BENCHMARK.md).
   */
  boolean lendIdle(Runnable work) {
    if (!lends || othersWaiting() || executor.getActiveCount() >= executor.getMaximumPoolSize()) {
      return false;
    }
    try {
      executor.execute(work);
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  /** Calls are queued for a thread. */
  boolean othersWaiting() {
    return !executor.getQueue().isEmpty();
  }

  ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
    return timer.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void close() {
    executor.shutdownNow();
    timer.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
