package dev.docmesh.processor;

import dev.docmesh.meshkit.concurrent.DaemonThreads;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
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

  ProcessingPool(int threads, int queue) {
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
