package dev.docmesh.meshkit.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.HashMap;
import java.util.Map;

/**
 * OpenTelemetry from the standard {@code OTEL_*} variables. Nothing is exported unless an
 * exporter is configured: a service with no collector must not log export failures forever.
 */
public final class Tracing {
  private Tracing() {}

  public static OpenTelemetrySdk fromEnvironment(String service) {
    return AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> defaults(service))
        .disableShutdownHook()
        .build()
        .getOpenTelemetrySdk();
  }

  /** Defaults that {@code OTEL_*} environment variables and system properties override. */
  static Map<String, String> defaults(String service) {
    Map<String, String> d = new HashMap<>();
    d.put("otel.service.name", "docmesh-" + service);
    d.put("otel.traces.exporter", "none");
    d.put("otel.metrics.exporter", "none");
    d.put("otel.logs.exporter", "none");
    d.put("otel.propagators", "tracecontext,baggage");
    return d;
  }

  public static OpenTelemetry noop() {
    return OpenTelemetry.noop();
  }
}
