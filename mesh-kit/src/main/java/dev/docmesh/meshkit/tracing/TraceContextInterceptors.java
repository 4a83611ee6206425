package dev.docmesh.meshkit.tracing;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * gRPC interceptors that carry the trace context (W3C {@code traceparent}, {@code tracestate},
 * baggage: whatever the propagator speaks) across every call and do nothing else. They stand in for
 * OpenTelemetry's gRPC instrumentation when no span is recorded ({@link Tracing#recordsSpans}):
 * that instrumentation builds each call's span, attributes and message sizes only for the sampler
 * to drop them, 4–9 % of the orchestrator's and the worker's CPU in the mesh benchmark. A call's
 * handler sees the caller's context as current, and an outgoing call carries the current one: so
 * jobs and tasks keep the caller's trace, and name the caller's span rather than a span that was
 * never recorded.
 */
public final class TraceContextInterceptors {
  private TraceContextInterceptors() {}

  /** Makes the context a call's headers carry current for every callback of its handler. */
  public static ServerInterceptor server(TextMapPropagator propagator) {
    return new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
          ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        Context context = propagator.extract(Context.current(), headers, HeadersGetter.INSTANCE);
        ServerCall.Listener<ReqT> delegate;
        try (Scope ignored = context.makeCurrent()) {
          delegate = next.startCall(call, headers);
        }
        return new InContext<>(delegate, context);
      }
    };
  }

  /** Writes the current context into every outgoing call's headers. */
  public static ClientInterceptor client(TextMapPropagator propagator) {
    return new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
          MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
        Context context = Context.current();
        return new ForwardingClientCall.SimpleForwardingClientCall<>(
            next.newCall(method, callOptions)) {
          @Override
          public void start(Listener<RespT> responseListener, Metadata headers) {
            propagator.inject(context, headers, HeadersSetter.INSTANCE);
            super.start(responseListener, headers);
          }
        };
      }
    };
  }

  private static final class InContext<ReqT>
      extends ForwardingServerCallListener.SimpleForwardingServerCallListener<ReqT> {
    private final Context context;

    InContext(ServerCall.Listener<ReqT> delegate, Context context) {
      super(delegate);
      this.context = context;
    }

    @Override
    public void onMessage(ReqT message) {
      try (Scope ignored = context.makeCurrent()) {
        super.onMessage(message);
      }
    }

    @Override
    public void onHalfClose() {
      try (Scope ignored = context.makeCurrent()) {
        super.onHalfClose();
      }
    }

    @Override
    public void onCancel() {
      try (Scope ignored = context.makeCurrent()) {
        super.onCancel();
      }
    }

    @Override
    public void onComplete() {
      try (Scope ignored = context.makeCurrent()) {
        super.onComplete();
      }
    }

    @Override
    public void onReady() {
      try (Scope ignored = context.makeCurrent()) {
        super.onReady();
      }
    }
  }

  /** The few header names a propagator uses, each made into a key once. */
  private static final Map<String, Metadata.Key<String>> KEYS = new ConcurrentHashMap<>();

  private static Metadata.Key<String> key(String name) {
    return KEYS.computeIfAbsent(name, n -> Metadata.Key.of(n, Metadata.ASCII_STRING_MARSHALLER));
  }

  private enum HeadersGetter implements TextMapGetter<Metadata> {
    INSTANCE;

    @Override
    public Iterable<String> keys(Metadata carrier) {
      return carrier.keys();
    }

    @Override
    public String get(Metadata carrier, String key) {
      if (carrier == null || key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        return null;
      }
      return carrier.get(key(key));
    }
  }

  private enum HeadersSetter implements TextMapSetter<Metadata> {
    INSTANCE;

    @Override
    public void set(Metadata carrier, String key, String value) {
      if (carrier != null) {
        carrier.put(key(key), value);
      }
    }
  }
}
