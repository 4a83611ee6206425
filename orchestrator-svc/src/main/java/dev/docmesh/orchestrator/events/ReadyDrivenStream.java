package dev.docmesh.orchestrator.events;

import dev.docmesh.orchestrator.Failure;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server stream that sends only while the receiver is ready ({@link StreamSink#isReady}), and
 * resumes from {@link StreamSink#onReady}: what the client has not read stays with the source (the
 * store or a bounded queue), never in transport buffers. {@link #drain()} may be called from any
 * thread; sending runs on {@code executor} (or, see {@link #drainHere}, on the caller), one drain
 * at a time per stream.
 */
public abstract class ReadyDrivenStream<T> {
  private static final Logger log = LoggerFactory.getLogger(ReadyDrivenStream.class);

  protected final StreamSink<T> sink;
  private final Executor executor;
  private final AtomicInteger wip = new AtomicInteger();
  private volatile boolean closed;

  protected ReadyDrivenStream(StreamSink<T> sink, Executor executor) {
    this.sink = sink;
    this.executor = executor;
  }

  /** Installs the handlers; call once before returning from the service method. */
  public final void start() {
    sink.onReady(this::drain);
    sink.onGone(() -> close(null));
    drain();
  }

  /** The next message to send, or null when there is none right now. */
  protected abstract T next() throws Exception;

  /** True when {@code message} is the stream's last: the stream ends after it. */
  protected abstract boolean isLast(T message);

  /** Runs once when the stream ends for any reason. */
  protected abstract void onClosed();

  public final boolean isClosed() {
    return closed;
  }

  public final void drain() {
    if (wip.getAndIncrement() == 0) {
      executor.execute(this::drainLoop);
    }
  }

  /**
   * As {@link #drain()}, but on the calling thread when no drain runs and {@link
   * #sendsWithoutBlocking} says the messages waiting are at hand: the thread that has just made
   * them durable sends them, instead of waking another to.
   */
  protected final void drainHere() {
    if (wip.getAndIncrement() == 0) {
      if (sendsWithoutBlocking()) {
        drainLoop();
      } else {
        executor.execute(this::drainLoop);
      }
    }
  }

  /**
   * Whether the next messages need no blocking read (the store): called by {@link #drainHere} with
   * the drain to itself, so it may read what only drains touch.
   */
  protected boolean sendsWithoutBlocking() {
    return false;
  }

  private void drainLoop() {
    int missed = 1;
    while (true) {
      try {
        while (!closed && sink.isReady()) {
          T m = next();
          if (m == null) {
            break;
          }
          sink.send(m);
          if (isLast(m)) {
            sink.end();
            close(null);
          }
        }
      } catch (Exception e) {
        log.warn("stream failed: {}", e.toString());
        close(new Failure.Internal(e.getMessage(), e));
      }
      missed = wip.addAndGet(-missed);
      if (missed == 0) {
        return;
      }
    }
  }

  /** Ends the stream; with an error it is sent to the client first. */
  protected final void close(RuntimeException error) {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (error != null && !sink.isGone()) {
      sink.fail(error);
    }
    onClosed();
  }
}
