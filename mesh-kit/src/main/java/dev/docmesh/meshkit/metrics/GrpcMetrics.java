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
        MethodDescriptor<Q, R> method = call.getMethodDescriptor();
        Labels labels = Labels.of(method);
        server.started.labels(labels.type, labels.service, labels.method).inc();
        long start = System.nanoTime();
        ServerCall<Q, R> counted =
            new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
              @Override
              public void sendMessage(R message) {
                server.sent.labels(labels.type, labels.service, labels.method).inc();
                super.sendMessage(message);
              }

              @Override
              public void close(Status status, Metadata trailers) {
                server.record(labels, status.getCode(), start);
                super.close(status, trailers);
              }
            };
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
            next.startCall(counted, headers)) {
          @Override
          public void onMessage(Q message) {
            server.received.labels(labels.type, labels.service, labels.method).inc();
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
        Labels labels = Labels.of(method);
        return new ForwardingClientCall.SimpleForwardingClientCall<>(
            next.newCall(method, options)) {
          private long start;

          @Override
          public void start(Listener<R> listener, Metadata headers) {
            client.started.labels(labels.type, labels.service, labels.method).inc();
            start = System.nanoTime();
            super.start(
                new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                  @Override
                  public void onMessage(R message) {
                    client.received.labels(labels.type, labels.service, labels.method).inc();
                    super.onMessage(message);
                  }

                  @Override
                  public void onClose(Status status, Metadata trailers) {
                    client.record(labels, status.getCode(), start);
                    super.onClose(status, trailers);
                  }
                },
                headers);
          }

          @Override
          public void sendMessage(Q message) {
            client.sent.labels(labels.type, labels.service, labels.method).inc();
            super.sendMessage(message);
          }
        };
      }
    };
  }

  private record Labels(String type, String service, String method) {
    static Labels of(MethodDescriptor<?, ?> m) {
      String type =
          switch (m.getType()) {
            case UNARY -> "unary";
            case CLIENT_STREAMING -> "client_stream";
            case SERVER_STREAMING -> "server_stream";
            case BIDI_STREAMING -> "bidi_stream";
            default -> "unknown";
          };
      String service = m.getServiceName() == null ? "unknown" : m.getServiceName();
      String method = m.getBareMethodName() == null ? m.getFullMethodName() : m.getBareMethodName();
      return new Labels(type, service, method);
    }
  }

  private static final class Side {
    final Counter started;
    final Counter handled;
    final Counter received;
    final Counter sent;
    final Histogram seconds;

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

    void record(Labels labels, Status.Code code, long startNanos) {
      handled.labels(labels.type, labels.service, labels.method, code.name()).inc();
      seconds
          .labels(labels.type, labels.service, labels.method)
          .observe((System.nanoTime() - startNanos) / 1e9);
    }
  }
}
