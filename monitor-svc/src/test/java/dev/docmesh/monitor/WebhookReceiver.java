package dev.docmesh.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An HTTP receiver for alert notifications, as a test's Alertmanager-webhook endpoint. */
final class WebhookReceiver implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpServer server;
  private final List<JsonNode> received = new CopyOnWriteArrayList<>();

  WebhookReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.createContext(
        "/hook",
        exchange -> {
          try (exchange) {
            received.add(JSON.readTree(exchange.getRequestBody()));
            exchange.sendResponseHeaders(200, -1);
          }
        });
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
  }

  List<JsonNode> payloads(String rule, String status) {
    return received.stream()
        .filter(
            p ->
                p.path("groupLabels").path("alertname").asText().equals(rule)
                    && p.path("status").asText().equals(status))
        .toList();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
