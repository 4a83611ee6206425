package dev.docmesh.meshkit.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.meshkit.config.Env;
import io.opentelemetry.api.common.Attributes;
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
}
