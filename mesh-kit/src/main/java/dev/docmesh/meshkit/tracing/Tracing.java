package dev.docmesh.meshkit.tracing;

import dev.docmesh.meshkit.config.Env;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * OpenTelemetry from the standard {@code OTEL_*} variables. Nothing is exported unless an exporter
 * is configured: a service with no collector must not log export failures forever. Each service
 * gets its own SDK, so several services in one JVM keep their own resource.
 */
public final class Tracing {
  static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  static final AttributeKey<String> SERVICE_INSTANCE_ID =
      AttributeKey.stringKey("service.instance.id");

  private Tracing() {}

  public static OpenTelemetrySdk fromEnvironment(String service) {
    return fromEnvironment(service, "", Env.of(Map.of()));
  }

  /**
   * With {@code service.name} "docmesh-&lt;service&gt;" and {@code service.instance.id} {@code
   * instanceId} unless OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES say otherwise; {@code OTEL_*}
   * entries of {@code env} count as if set in the process environment (which still wins), so in-JVM
   * meshes can configure each service.
   */
  public static OpenTelemetrySdk fromEnvironment(String service, String instanceId, Env env) {
    return AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> defaults(service, env))
        .addPropertiesCustomizer(Tracing::unexportedSpansUnrecorded)
        .addResourceCustomizer((resource, config) -> identify(resource, service, instanceId))
        .disableShutdownHook()
        .build()
        .getOpenTelemetrySdk();
  }

  /** Defaults that {@code OTEL_*} environment variables and system properties override. */
  static Map<String, String> defaults(String service, Env env) {
    Map<String, String> d = new HashMap<>();
    d.put("otel.traces.exporter", "none");
    d.put("otel.metrics.exporter", "none");
    d.put("otel.logs.exporter", "none");
    d.put("otel.propagators", "tracecontext,baggage");
    env.withPrefix("OTEL_")
        .forEach((k, v) -> d.put(k.toLowerCase(Locale.ROOT).replace('_', '.'), v));
    return d;
  }

  /**
   * Spans that no exporter takes are not recorded: with {@code otel.traces.exporter=none} and no
   * sampler chosen, the sampler is {@code always_off}. Trace context still flows — every hop starts
   * a non-recording span in the caller's trace — so jobs and tasks keep their traceparent; what
   * goes is building every call's span only to drop it (a few per cent of the orchestrator's and
   * the worker's CPU in the mesh benchmark).
   */
  static Map<String, String> unexportedSpansUnrecorded(ConfigProperties config) {
    if ("none".equals(config.getString("otel.traces.exporter"))
        && config.getString("otel.traces.sampler") == null) {
      return Map.of("otel.traces.sampler", "always_off");
    }
    return Map.of();
  }

  /**
   * Whether {@code openTelemetry} records any span: not OpenTelemetry's no-op, nor an SDK whose
   * sampler is {@code always_off} ({@link #unexportedSpansUnrecorded}). When it records none, the
   * trace context is all a call has to carry ({@link TraceContextInterceptors}).
   */
  public static boolean recordsSpans(OpenTelemetry openTelemetry) {
    if (openTelemetry instanceof OpenTelemetrySdk sdk) {
      return !Sampler.alwaysOff().equals(sdk.getSdkTracerProvider().getSampler());
    }
    return openTelemetry != OpenTelemetry.noop();
  }

  /** The SDK names a service "unknown_service:java" when nobody did; ours has a name. */
  static Resource identify(Resource resource, String service, String instanceId) {
    var attributes = resource.getAttributes().toBuilder();
    String name = resource.getAttribute(SERVICE_NAME);
    if (name == null || name.startsWith("unknown_service")) {
      attributes.put(SERVICE_NAME, "docmesh-" + service);
    }
    if (resource.getAttribute(SERVICE_INSTANCE_ID) == null && !instanceId.isEmpty()) {
      attributes.put(SERVICE_INSTANCE_ID, instanceId);
    }
    return Resource.create(attributes.build(), resource.getSchemaUrl());
  }

  public static OpenTelemetry noop() {
    return OpenTelemetry.noop();
  }

  /**
   * The context a stored or carried W3C trace context names ({@code traceparent}, {@code
   * tracestate}; empty strings for none): how a job's and a task's spans find their parent across
   * services.
   */
  public static Context parentContext(
      TextMapPropagator propagator, String traceparent, String tracestate) {
    Map<String, String> carrier = new HashMap<>();
    if (!traceparent.isEmpty()) {
      carrier.put("traceparent", traceparent);
    }
    if (!tracestate.isEmpty()) {
      carrier.put("tracestate", tracestate);
    }
    return propagator.extract(Context.root(), carrier, MapGetter.INSTANCE);
  }

  private enum MapGetter implements TextMapGetter<Map<String, String>> {
    INSTANCE;

    @Override
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  }
}
