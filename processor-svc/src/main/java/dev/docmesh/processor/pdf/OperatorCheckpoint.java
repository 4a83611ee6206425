package dev.docmesh.processor.pdf;

import dev.docmesh.processor.spi.ProcessingContext;

/**
 * Lets a content-stream walk stop inside one page: a hostile page may hold millions of operators,
 * so waiting for the page to end before honouring cancellation is not enough.
 */
final class OperatorCheckpoint {
  private static final int EVERY = 4096;

  private final ProcessingContext context;
  private int operators;

  OperatorCheckpoint(ProcessingContext context) {
    this.context = context;
  }

  void tick() {
    if (++operators % EVERY == 0) {
      context.checkpoint();
    }
  }
}
