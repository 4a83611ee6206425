package dev.docmesh.meshkit.metrics;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Histogram;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * gRPC server and client metrics in the naming of the Prometheus gRPC ecosystem ({@code
 * grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}} ...), so existing
 * dashboards and alert rules apply unchanged.
 */
public final class GrpcMetrics {
  private static final double[] LATENCY_BUCKETS = {
    .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60
  };

  private final Side server;
  private final Side client;

  public GrpcMetrics(CollectorRegistry registry) {
    this.server = new Side("server", registry);
    this.client = new Side("client", registry);
  }

  public ServerInterceptor serverInterceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Method m = server.of(call.getMethodDescriptor());
        m.started.inc();
        long start = System.nanoTime();
        ServerCall<Q, R> counted =
            new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
              @Override
              public void sendMessage(R message) {
                m.sent.inc();
                super.sendMessage(message);
              }

              @Override
              public void close(Status status, Metadata trailers) {
                m.record(status.getCode(), start);
                super.close(status, trailers);
              }
            };
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
            next.startCall(counted, headers)) {
          @Override
          public void onMessage(Q message) {
            m.received.inc();
            super.onMessage(message);
          }
        };
      }
    };
  }

  public ClientInterceptor clientInterceptor() {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(
          MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        Method m = client.of(method);
        return new ForwardingClientCall.SimpleForwardingClientCall<>(
            next.newCall(method, options)) {
          private long start;

          @Override
          public void start(Listener<R> listener, Metadata headers) {
            m.started.inc();
            start = System.nanoTime();
            super.start(
                new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                  @Override
                  public void onMessage(R message) {
                    m.received.inc();
                    super.onMessage(message);
                  }

                  @Override
                  public void onClose(Status status, Metadata trailers) {
                    m.record(status.getCode(), start);
                    super.onClose(status, trailers);
                  }
                },
                headers);
          }

          @Override
          public void sendMessage(Q message) {
            m.sent.inc();
            super.sendMessage(message);
          }
        };
      }
    };
  }

  private static String type(MethodDescriptor<?, ?> m) {
    return switch (m.getType()) {
      case UNARY -> "unary";
      case CLIENT_STREAMING -> "client_stream";
      case SERVER_STREAMING -> "server_stream";
      case BIDI_STREAMING -> "bidi_stream";
      default -> "unknown";
    };
  }

  /**
   * One method's series on one side, looked up once: a call then counts without building and
   * hashing its label values four or five times.
   */
  private static final class Method {
    final Counter.Child started;
    final Counter.Child received;
    final Counter.Child sent;
    final Histogram.Child seconds;
    private final Counter handled;
    private final String[] labels;
    private final Counter.Child[] handledByCode = new Counter.Child[Status.Code.values().length];

    Method(Side side, MethodDescriptor<?, ?> m) {
      String service = m.getServiceName() == null ? "unknown" : m.getServiceName();
      String method = m.getBareMethodName() == null ? m.getFullMethodName() : m.getBareMethodName();
      labels = new String[] {type(m), service, method};
      started = side.started.labels(labels);
      received = side.received.labels(labels);
      sent = side.sent.labels(labels);
      seconds = side.seconds.labels(labels);
      handled = side.handled;
    }

    void record(Status.Code code, long startNanos) {
      Counter.Child h = handledByCode[code.ordinal()];
      if (h == null) {
        // racing calls may both look it up: the registry hands out the one child
        h = handled.labels(labels[0], labels[1], labels[2], code.name());
        handledByCode[code.ordinal()] = h;
      }
      h.inc();
      seconds.observe((System.nanoTime() - startNanos) / 1e9);
    }
  }

  private static final class Side {
    final Counter started;
    final Counter handled;
    final Counter received;
    final Counter sent;
    final Histogram seconds;
    private final Map<String, Method> methods = new ConcurrentHashMap<>();

    Side(String side, CollectorRegistry registry) {
      String p = "grpc_" + side + "_";
      String[] l = {"grpc_type", "grpc_service", "grpc_method"};
      started =
          Counter.build(p + "started_total", "RPCs started on the " + side + ".")
              .labelNames(l)
              .register(registry);
      handled =
          Counter.build(p + "handled_total", "RPCs completed on the " + side + ", by status code.")
              .labelNames("grpc_type", "grpc_service", "grpc_method", "grpc_code")
              .register(registry);
      received =
          Counter.build(p + "msg_received_total", "Stream messages received on the " + side + ".")
              .labelNames(l)
              .register(registry);
      sent =
          Counter.build(p + "msg_sent_total", "Stream messages sent on the " + side + ".")
              .labelNames(l)
              .register(registry);
      seconds =
          Histogram.build(
                  p + "handling_seconds",
                  "Time from start to completion of RPCs on the " + side + ".")
              .labelNames(l)
              .buckets(LATENCY_BUCKETS)
              .register(registry);
    }

    Method of(MethodDescriptor<?, ?> m) {
      Method known = methods.get(m.getFullMethodName());
      return known != null
          ? known
          : methods.computeIfAbsent(m.getFullMethodName(), k -> new Method(this, m));
    }
  }
}
