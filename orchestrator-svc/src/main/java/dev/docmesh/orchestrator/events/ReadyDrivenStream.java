package dev.docmesh.orchestrator.events;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server stream that sends only while the transport is ready ({@code isReady}), and resumes
 * from {@code onReadyHandler}: what the client has not read stays with the source (the store
 * or a bounded queue), never in grpc's buffers. {@link #drain()} may be called from any
 * thread; sending runs on {@code executor}, one drain at a time per stream.
 */
public abstract class ReadyDrivenStream<T> {
  private static final Logger log = LoggerFactory.getLogger(ReadyDrivenStream.class);

  protected final ServerCallStreamObserver<T> observer;
  private final Executor executor;
  private final AtomicInteger wip = new AtomicInteger();
  private volatile boolean closed;

  protected ReadyDrivenStream(ServerCallStreamObserver<T> observer, Executor executor) {
    this.observer = observer;
    this.executor = executor;
  }

  /** Installs the handlers; call once before returning from the service method. */
  public final void start() {
    observer.setOnReadyHandler(this::drain);
    observer.setOnCancelHandler(() -> close(null));
    observer.setOnCloseHandler(() -> close(null));
    drain();
  }

  /** The next message to send, or null when there is none right now. */
  protected abstract T next() throws Exception;

  /** True when {@code message} is the stream's last: it is followed by onCompleted. */
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

  private void drainLoop() {
    int missed = 1;
    while (true) {
      try {
        while (!closed && observer.isReady()) {
          T m = next();
          if (m == null) {
            break;
          }
          observer.onNext(m);
          if (isLast(m)) {
            observer.onCompleted();
            close(null);
          }
        }
      } catch (Exception e) {
        log.warn("stream failed: {}", e.toString());
        close(Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException());
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
    if (error != null && !observer.isCancelled()) {
      try {
        observer.onError(error);
      } catch (IllegalStateException alreadyClosed) {
        // the call ended meanwhile
      }
    }
    onClosed();
  }
}
