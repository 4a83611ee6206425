package dev.docmesh.orchestrator.tracing;

import dev.docmesh.meshkit.tracing.Tracing;
import dev.docmesh.orchestrator.engine.JobTracing;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Job spans on OpenTelemetry: "job &lt;pipeline&gt;" from submit to the terminal state, in this
 * process. A span cannot outlive its process, so at shutdown the open ones are ended (marked {@code
 * docmesh.job.open_at_shutdown}) and the next process opens a "resumed" span under the stored
 * context (see DESIGN.md, tracing).
 */
public final class OtelJobTracing implements JobTracing {
  private final Tracer tracer;
  private final TextMapPropagator propagator;
  private final Map<String, Span> open = new ConcurrentHashMap<>();

  public OtelJobTracing(OpenTelemetry openTelemetry) {
    this.tracer = openTelemetry.getTracer("dev.docmesh.orchestrator");
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
  }

  @Override
  public TraceContext submitted(String jobId, String pipeline, TraceContext parent) {
    Span span = start(jobId, pipeline, parent).startSpan();
    open.put(jobId, span);
    Map<String, String> carrier = new HashMap<>();
    propagator.inject(Context.root().with(span), carrier, Map::put);
    return new TraceContext(
        carrier.getOrDefault("traceparent", ""), carrier.getOrDefault("tracestate", ""));
  }

  @Override
  public void resumed(String jobId, String pipeline, TraceContext stored) {
    open.put(
        jobId,
        start(jobId, pipeline, stored).setAttribute("docmesh.job.resumed", true).startSpan());
  }

  @Override
  public void ended(String jobId, String state) {
    Span span = open.remove(jobId);
    if (span == null) {
      return;
    }
    span.setAttribute("docmesh.job.state", state);
    if (!"succeeded".equals(state)) {
      span.setStatus(StatusCode.ERROR, state);
    }
    span.end();
  }

  @Override
  public void closeAll() {
    for (String jobId : open.keySet()) {
      Span span = open.remove(jobId);
      if (span != null) {
        span.setAttribute("docmesh.job.open_at_shutdown", true);
        span.end();
      }
    }
  }

  private io.opentelemetry.api.trace.SpanBuilder start(
      String jobId, String pipeline, TraceContext parent) {
    Context context = Tracing.parentContext(propagator, parent.traceparent(), parent.tracestate());
    return tracer
        .spanBuilder("job " + pipeline)
        .setParent(context)
        .setAttribute("docmesh.job.id", jobId)
        .setAttribute("docmesh.pipeline", pipeline);
  }
}
