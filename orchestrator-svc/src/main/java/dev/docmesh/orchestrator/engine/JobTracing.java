package dev.docmesh.orchestrator.engine;

/**
 * A job's span, seen from the engine: opened when the job is accepted (or found unfinished at
 * start), closed when it reaches a terminal state. The engine stores the context this returns, so
 * the job's tasks, carried to the workers, are children of the job's span. The OpenTelemetry
 * implementation is wired in by {@code OrchestratorMain}; the core knows only this.
 */
public interface JobTracing {
  /** A W3C trace context, as stored with the job ("" when there is none). */
  record TraceContext(String traceparent, String tracestate) {}

  /**
   * Opens the span of a new job under {@code parent}; returns the context to store with the job.
   */
  TraceContext submitted(String jobId, String pipeline, TraceContext parent);

  /** Opens a span for an unfinished job found at start, under the context stored with it. */
  void resumed(String jobId, String pipeline, TraceContext stored);

  /** Closes the job's span with its terminal state; nothing when no span is open for it. */
  void ended(String jobId, String state);

  /** Closes every open span at shutdown (the job goes on in the next process). */
  void closeAll();

  JobTracing NONE =
      new JobTracing() {
        @Override
        public TraceContext submitted(String jobId, String pipeline, TraceContext parent) {
          return parent;
        }

        @Override
        public void resumed(String jobId, String pipeline, TraceContext stored) {}

        @Override
        public void ended(String jobId, String state) {}

        @Override
        public void closeAll() {}
      };
}
