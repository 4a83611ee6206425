package dev.docmesh.worker;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The deadline and the off switch of one task run, shared by the clients that work for it: the
 * calls they make run inside the run's cancellable context, and their retry waits end early when
 * the run is stopped.
 */
final class RunControl {
  /** Why a run was stopped before it finished. */
  enum StopReason {
    JOB_CANCELLED,
    LEASE_LOST,
    HAND_BACK
  }

  /** Thrown inside a run when it was stopped from outside during a wait. */
  static final class Stopped extends Exception {
    private static final long serialVersionUID = 1L;

    Stopped() {
      super(null, null, false, false);
    }
  }

  private final Deadline deadline;
  private final Context.CancellableContext calls = Context.ROOT.withCancellation();
  private final AtomicReference<StopReason> stopReason = new AtomicReference<>();
  private final CountDownLatch stopped = new CountDownLatch(1);

  RunControl(Duration timeout) {
    this.deadline = Deadline.after(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  Deadline deadline() {
    return deadline;
  }

  /** Cancels the run's calls and wakes its waits; false when it had been stopped already. */
  boolean stop(StopReason reason) {
    if (!stopReason.compareAndSet(null, reason)) {
      return false;
    }
    calls.cancel(null);
    stopped.countDown();
    return true;
  }

  /** Why the run was stopped, or null while it was not. */
  StopReason stopReason() {
    return stopReason.get();
  }

  boolean isStopped() {
    return stopReason.get() != null;
  }

  /** Cancels whatever call is still open, once the run is over. */
  void end() {
    calls.cancel(null);
  }

  /** Runs {@code body} so that the calls it makes are cancelled when the run is stopped. */
  <T> T inCalls(Supplier<T> body) {
    Context previous = calls.attach();
    try {
      return body.get();
    } finally {
      calls.detach(previous);
    }
  }

  /**
   * Waits before a retry; gives up when the run is stopped or the delay would pass the deadline.
   */
  void pause(Duration delay, StatusRuntimeException lastError) throws Stopped {
    if (deadline.timeRemaining(TimeUnit.NANOSECONDS) <= delay.toNanos()) {
      throw Status.DEADLINE_EXCEEDED
          .withDescription("gave up before the task deadline; last error: " + lastError.getStatus())
          .asRuntimeException();
    }
    try {
      if (stopped.await(delay.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new Stopped();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Stopped();
    }
  }
}
