package dev.docmesh.meshkit.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.docmesh.meshkit.concurrent.DaemonThreads;
import dev.docmesh.meshkit.security.HttpAuth;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The service's HTTP port: {@code /metrics} in the Prometheus text format (OpenMetrics when asked),
 * {@code /healthz}, and whatever pages a service adds (the monitor's dashboard). {@code /healthz}
 * answers the server's gRPC health: 200 while SERVING, 503 once NOT_SERVING (draining, shutting
 * down). Kubelet probes use it under TLS: native gRPC probes cannot do TLS.
 */
public final class MetricsHttpServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  public MetricsHttpServer(int port, CollectorRegistry registry, Map<String, HttpHandler> pages)
      throws IOException {
    this(port, registry, pages, null, false, false, () -> true);
  }

  /**
   * With {@code auth}, {@code /metrics} and {@code /healthz} each need a bearer token when asked
   * to.
   */
  public MetricsHttpServer(
      int port,
      CollectorRegistry registry,
      Map<String, HttpHandler> pages,
      HttpAuth auth,
      boolean metricsRequireAuth,
      boolean healthzRequireAuth,
      BooleanSupplier serving)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 64);
    executor = Executors.newFixedThreadPool(2, DaemonThreads.factory("metrics-http"));
    server.setExecutor(executor);
    HttpHandler metrics = exchange -> serveMetrics(exchange, registry);
    HttpHandler healthz =
        exchange -> {
          boolean up = serving.getAsBoolean();
          send(exchange, up ? 200 : 503, "text/plain", up ? "ok\n" : "not serving\n");
        };
    server.createContext(
        "/metrics", metricsRequireAuth && auth != null ? auth.protect(metrics) : metrics);
    server.createContext(
        "/healthz", healthzRequireAuth && auth != null ? auth.protect(healthz) : healthz);
    pages.forEach(server::createContext);
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void serveMetrics(HttpExchange exchange, CollectorRegistry registry)
      throws IOException {
    try (exchange) {
      String contentType =
          TextFormat.chooseContentType(exchange.getRequestHeaders().getFirst("Accept"));
      exchange.getResponseHeaders().set("Content-Type", contentType);
      exchange.sendResponseHeaders(200, 0);
      try (Writer w = new OutputStreamWriter(exchange.getResponseBody(), StandardCharsets.UTF_8)) {
        TextFormat.writeFormat(contentType, w, registry.metricFamilySamples());
      }
    }
  }

  public static void send(HttpExchange exchange, int status, String contentType, String body)
      throws IOException {
    try (exchange) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", contentType);
      exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
