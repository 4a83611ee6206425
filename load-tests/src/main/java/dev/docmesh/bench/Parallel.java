package dev.docmesh.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Runs items through a fixed number of callers, each taking the next item when it is done. */
final class Parallel {
  interface Work<T> {
    void run(T item) throws Exception;
  }

  private Parallel() {}

  /** Seconds taken to run every item with {@code callers} threads. */
  static <T> double run(List<T> items, int callers, Work<T> work) {
    ConcurrentLinkedQueue<T> queue = new ConcurrentLinkedQueue<>(items);
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      long start = System.nanoTime();
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        fs.add(
            pool.submit(
                () -> {
                  T item;
                  while ((item = queue.poll()) != null) {
                    work.run(item);
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
      return (System.nanoTime() - start) / 1e9;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      pool.shutdownNow();
    }
  }
}
