package dev.docmesh.bench;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Status;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Closed- and open-loop drivers of asynchronous unary calls (one client for both sides of a ratio).
 */
final class AsyncLoad {
  /** What a run did: calls per second, errors by status code, and latencies when recorded. */
  record Result(double perSecond, long ok, Map<String, Long> errors, long[] latenciesNanos) {
    void requireNoErrors(String what) {
      if (!errors.isEmpty()) {
        throw new IllegalStateException(what + " had errors: " + errors);
      }
    }
  }

  private AsyncLoad() {}

  /** Keeps {@code window} calls in flight for {@code duration}: each answer sends the next call. */
  static Result closedLoop(int window, Duration duration, Supplier<ListenableFuture<?>> call) {
    AtomicLong ok = new AtomicLong();
    Map<String, Long> errors = new ConcurrentHashMap<>();
    long end = System.nanoTime() + duration.toNanos();
    CountDownLatch chains = new CountDownLatch(window);
    long start = System.nanoTime();
    for (int i = 0; i < window; i++) {
      next(call, end, ok, errors, chains);
    }
    await(chains, duration.plusSeconds(60));
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Result(ok.get() / seconds, ok.get(), new TreeMap<>(errors), new long[0]);
  }

  private static void next(
      Supplier<ListenableFuture<?>> call,
      long end,
      AtomicLong ok,
      Map<String, Long> errors,
      CountDownLatch chains) {
    if (System.nanoTime() >= end) {
      chains.countDown();
      return;
    }
    Futures.addCallback(
        call.get(),
        new FutureCallback<Object>() {
          @Override
          public void onSuccess(Object r) {
            ok.incrementAndGet();
            next(call, end, ok, errors, chains);
          }

          @Override
          public void onFailure(Throwable t) {
            errors.merge(Status.fromThrowable(t).getCode().name(), 1L, Long::sum);
            next(call, end, ok, errors, chains);
          }
        },
        MoreExecutors.directExecutor());
  }

  /**
   * Sends {@code count} calls at a fixed rate whatever the answers do; each latency runs from the
   * moment the call was due (so a stalled server is charged for the calls it delayed).
   */
  static Result openLoop(double perSecond, int count, Supplier<ListenableFuture<?>> call) {
    AtomicLongArray lat = new AtomicLongArray(count);
    AtomicLong ok = new AtomicLong();
    Map<String, Long> errors = new ConcurrentHashMap<>();
    CountDownLatch done = new CountDownLatch(count);
    long interval = (long) (1e9 / perSecond);
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      long due = start + i * interval;
      long wait;
      while ((wait = due - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      int idx = i;
      Futures.addCallback(
          call.get(),
          new FutureCallback<Object>() {
            @Override
            public void onSuccess(Object r) {
              lat.set(idx, System.nanoTime() - due);
              ok.incrementAndGet();
              done.countDown();
            }

            @Override
            public void onFailure(Throwable t) {
              lat.set(idx, System.nanoTime() - due);
              errors.merge(Status.fromThrowable(t).getCode().name(), 1L, Long::sum);
              done.countDown();
            }
          },
          MoreExecutors.directExecutor());
    }
    await(done, Duration.ofSeconds(120));
    double seconds = (System.nanoTime() - start) / 1e9;
    long[] out = new long[count];
    for (int i = 0; i < count; i++) {
      out[i] = lat.get(i);
    }
    return new Result(count / seconds, ok.get(), new TreeMap<>(errors), out);
  }

  private static void await(CountDownLatch latch, Duration timeout) {
    try {
      if (!latch.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("calls did not finish within " + timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
