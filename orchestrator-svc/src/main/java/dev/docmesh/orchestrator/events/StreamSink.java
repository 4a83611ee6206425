package dev.docmesh.orchestrator.events;

/**
 * The receiving end of a server stream, as the core sees it: flow control ({@link #isReady}, {@link
 * #onReady}) and the three ways a stream goes on or ends. The gRPC edge implements it over a call;
 * errors are the core's {@link dev.docmesh.orchestrator.Failure}s (anything else is an internal
 * error).
 */
public interface StreamSink<T> {
  /** True while the receiver can take another message without it piling up in transport buffers. */
  boolean isReady();

  /** Runs {@code r} whenever the receiver becomes ready again. */
  void onReady(Runnable r);

  /** Runs {@code r} once when the receiver goes away or the stream is closed. */
  void onGone(Runnable r);

  boolean isGone();

  void send(T message);

  void end();

  void fail(RuntimeException error);
}
