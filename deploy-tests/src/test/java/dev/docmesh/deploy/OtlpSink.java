package dev.docmesh.deploy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stands in for the tracing component's collector: accepts OTLP/HTTP trace exports at the collector
 * pod's address and port, answers 200, and notes which docmesh services sent spans (their {@code
 * service.name} is a plain string inside the protobuf payload).
 */
final class OtlpSink implements AutoCloseable {
  private static final Pattern SERVICE =
      Pattern.compile("docmesh-(orchestrator|processor|worker|monitor)");
  private final HttpServer server;
  private final Set<String> services = new TreeSet<>();

  private OtlpSink(HttpServer server) {
    this.server = server;
  }

  static OtlpSink start(LocalCluster.Pod collector, int containerPort) throws IOException {
    HttpServer http =
        HttpServer.create(new InetSocketAddress(collector.ip, collector.local(containerPort)), 16);
    OtlpSink sink = new OtlpSink(http);
    http.createContext(
        "/v1/traces",
        exchange -> {
          String body =
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.ISO_8859_1);
          Matcher m = SERVICE.matcher(body);
          synchronized (sink.services) {
            while (m.find()) {
              sink.services.add(m.group());
            }
          }
          exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
          exchange.sendResponseHeaders(200, 0);
          exchange.close();
        });
    http.start();
    return sink;
  }

  Set<String> services() {
    synchronized (services) {
      return new TreeSet<>(services);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
