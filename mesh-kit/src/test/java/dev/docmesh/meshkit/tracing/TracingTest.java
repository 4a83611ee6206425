package dev.docmesh.meshkit.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.meshkit.config.Env;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TracingTest {
  @Test
  void servicesNameThemselvesUnlessTheOperatorDid() {
    Resource unnamed = Resource.getDefault(); // service.name=unknown_service:java
    Resource named = Tracing.identify(unnamed, "worker", "worker-7");
    assertThat(named.getAttribute(Tracing.SERVICE_NAME)).isEqualTo("docmesh-worker");
    assertThat(named.getAttribute(Tracing.SERVICE_INSTANCE_ID)).isEqualTo("worker-7");

    Resource operator =
        unnamed.merge(
            Resource.create(
                Attributes.of(
                    Tracing.SERVICE_NAME, "ingest-worker", Tracing.SERVICE_INSTANCE_ID, "pod-a")));
    Resource kept = Tracing.identify(operator, "worker", "worker-7");
    assertThat(kept.getAttribute(Tracing.SERVICE_NAME)).isEqualTo("ingest-worker");
    assertThat(kept.getAttribute(Tracing.SERVICE_INSTANCE_ID)).isEqualTo("pod-a");
  }

  @Test
  void otelVariablesOfTheServiceEnvironmentBecomeProperties() {
    Map<String, String> d =
        Tracing.defaults(
            "processor",
            Env.of(
                Map.of(
                    "OTEL_TRACES_EXPORTER",
                    "otlp",
                    "OTEL_BSP_SCHEDULE_DELAY",
                    "100",
                    "DOCMESH_X",
                    "y")));
    assertThat(d)
        .containsEntry("otel.traces.exporter", "otlp")
        .containsEntry("otel.bsp.schedule.delay", "100")
        .containsEntry("otel.metrics.exporter", "none")
        .doesNotContainKey("docmesh.x");
    assertThat(Tracing.defaults("processor", Env.of(Map.of())))
        .containsEntry("otel.traces.exporter", "none");
  }

  @Test
  void spansNoExporterTakesAreNotRecordedButTheTraceFlowsOn() {
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    Context parent =
        Context.root()
            .with(
                Span.wrap(
                    SpanContext.createFromRemoteParent(
                        traceId,
                        "00f067aa0ba902b7",
                        TraceFlags.getSampled(),
                        TraceState.getDefault())));

    try (OpenTelemetrySdk quiet = Tracing.fromEnvironment("worker", "w", Env.of(Map.of()))) {
      Span span = quiet.getTracer("t").spanBuilder("call").setParent(parent).startSpan();
      assertThat(span.isRecording()).isFalse();
      assertThat(span.getSpanContext().getTraceId()).isEqualTo(traceId);
      assertThat(span.getSpanContext().getSpanId()).isNotEqualTo("00f067aa0ba902b7");
      span.end();
    }
    // an operator who asks for a sampler gets it, exporter or not
    try (OpenTelemetrySdk chosen =
        Tracing.fromEnvironment(
            "worker", "w", Env.of(Map.of("OTEL_TRACES_SAMPLER", "parentbased_always_on")))) {
      Span span = chosen.getTracer("t").spanBuilder("call").setParent(parent).startSpan();
      assertThat(span.isRecording()).isTrue();
      span.end();
    }
    // with an exporter, the SDK's default sampler as before
    try (OpenTelemetrySdk exported =
        Tracing.fromEnvironment("worker", "w", Env.of(Map.of("OTEL_TRACES_EXPORTER", "logging")))) {
      Span span = exported.getTracer("t").spanBuilder("call").setParent(parent).startSpan();
      assertThat(span.isRecording()).isTrue();
    }
  }
}
