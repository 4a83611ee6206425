package dev.docmesh.processor.spi;

/**
 * Thrown by {@link ProcessingContext#checkpoint()} when the call was cancelled or ran out of time.
 */
public final class ProcessingStoppedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final boolean timedOut;

  public ProcessingStoppedException(boolean timedOut) {
    super(timedOut ? "processing time limit reached" : "call cancelled", null, false, false);
    this.timedOut = timedOut;
  }

  /** True when the time limit ended the call, false when the client cancelled it. */
  public boolean timedOut() {
    return timedOut;
  }
}
