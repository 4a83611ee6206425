package dev.docmesh.monitor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.docmesh.meshkit.config.ConfigException;
import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.metrics.MetricsHttpServer;
import dev.docmesh.monitor.jobs.JobsTracker;
import dev.docmesh.proto.monitor.v1.AlertState;
import dev.docmesh.proto.monitor.v1.GetMetricsSummaryRequest;
import dev.docmesh.proto.monitor.v1.ListAlertsRequest;
import dev.docmesh.proto.monitor.v1.SilenceAlertRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The dashboard on the monitor's HTTP port: the page at {@code /}, its assets (the charting library
 * comes from its WebJar, no CDN), and JSON under {@code /api/} that mirrors the gRPC API (protobuf
 * JSON mapping) plus the chart series and the jobs feed.
 */
final class Dashboard {
  private static final String PAGE_ROOT = "/dashboard/";
  private static final Map<String, String> ASSETS =
      Map.of(
          "/", PAGE_ROOT + "index.html",
          "/index.html", PAGE_ROOT + "index.html",
          "/assets/dashboard.js", PAGE_ROOT + "dashboard.js",
          "/assets/dashboard.css", PAGE_ROOT + "dashboard.css",
          "/assets/echarts.min.js",
              "/META-INF/resources/webjars/echarts/" + echartsVersion() + "/dist/echarts.min.js",
          "/favicon.ico", PAGE_ROOT + "favicon.svg");
  private static final JsonFormat.Printer PROTO_JSON =
      JsonFormat.printer().alwaysPrintFieldsWithNoPresence();
  private static final ObjectMapper JSON = new ObjectMapper();

  private final MonitorApi api;
  private final Monitor monitor;

  Dashboard(MonitorApi api, Monitor monitor) {
    this.api = api;
    this.monitor = monitor;
  }

  HttpHandler pages() {
    return this::page;
  }

  HttpHandler json() {
    return this::api;
  }

  private void page(HttpExchange exchange) throws IOException {
    String resource = ASSETS.get(exchange.getRequestURI().getPath());
    if (resource == null || !"GET".equals(exchange.getRequestMethod())) {
      MetricsHttpServer.send(exchange, 404, "text/plain", "not found\n");
      return;
    }
    try (exchange;
        InputStream in = Dashboard.class.getResourceAsStream(resource)) {
      if (in == null) {
        MetricsHttpServer.send(exchange, 404, "text/plain", "not found\n");
        return;
      }
      byte[] body = in.readAllBytes();
      exchange.getResponseHeaders().set("Content-Type", contentType(resource));
      exchange
          .getResponseHeaders()
          .set("Cache-Control", resource.contains("webjars") ? "max-age=86400" : "no-cache");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private void api(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
    try {
      String body =
          switch (exchange.getRequestMethod() + " " + path) {
            case "GET /api/status" -> proto(api.getSystemStatus());
            case "GET /api/summary" -> proto(api.getMetricsSummary(summaryRequest(query)));
            case "GET /api/alerts" -> proto(api.listAlerts(alertsRequest(query)));
            case "POST /api/silences" -> proto(api.silenceAlert(silenceRequest(exchange)));
            case "GET /api/series" -> JSON.writeValueAsString(monitor.charts().points());
            case "GET /api/jobs" -> jobs();
            default -> null;
          };
      if (body == null) {
        MetricsHttpServer.send(exchange, 404, "application/json", "{\"error\":\"not found\"}");
      } else {
        MetricsHttpServer.send(exchange, 200, "application/json", body);
      }
    } catch (StatusRuntimeException e) {
      int status = e.getStatus().getCode() == Status.Code.NOT_FOUND ? 404 : 400;
      MetricsHttpServer.send(
          exchange, status, "application/json", error(e.getStatus().getDescription()));
    } catch (ConfigException | InvalidProtocolBufferException | NumberFormatException e) {
      MetricsHttpServer.send(exchange, 400, "application/json", error(e.getMessage()));
    }
  }

  private static GetMetricsSummaryRequest summaryRequest(Map<String, String> query) {
    GetMetricsSummaryRequest.Builder b = GetMetricsSummaryRequest.newBuilder();
    if (query.containsKey("window")) {
      // the same duration syntax as the configuration: 30s, 5m, PT1H
      var window = Env.of(Map.of("window", query.get("window"))).duration("window", null);
      b.setWindow(Durations.fromMillis(window.toMillis()));
    }
    return b.build();
  }

  private static ListAlertsRequest alertsRequest(Map<String, String> query) {
    ListAlertsRequest.Builder b = ListAlertsRequest.newBuilder();
    b.setIncludeResolved(Boolean.parseBoolean(query.getOrDefault("include_resolved", "false")));
    if (query.containsKey("state")) {
      b.setState(AlertState.valueOf(query.get("state")));
    }
    if (query.containsKey("page_size")) {
      b.setPageSize(Integer.parseInt(query.get("page_size")));
    }
    b.setPageToken(query.getOrDefault("page_token", ""));
    return b.build();
  }

  private static SilenceAlertRequest silenceRequest(HttpExchange exchange) throws IOException {
    SilenceAlertRequest.Builder b = SilenceAlertRequest.newBuilder();
    JsonFormat.parser()
        .merge(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8), b);
    return b.build();
  }

  private String jobs() throws IOException {
    ObjectNode out = JSON.createObjectNode();
    JobsTracker.Feed feed =
        monitor
            .jobs()
            .map(JobsTracker::feed)
            .orElse(new JobsTracker.Feed(false, "no orchestrator configured", java.util.List.of()));
    out.put("connected", feed.connected());
    out.put("problem", feed.problem());
    ArrayNode jobs = out.putArray("jobs");
    for (Job job : feed.jobs()) {
      jobs.add(JSON.readTree(proto(job)));
    }
    return JSON.writeValueAsString(out);
  }

  private static String proto(MessageOrBuilder message) throws InvalidProtocolBufferException {
    return PROTO_JSON.print(message);
  }

  private static String error(String message) {
    ObjectNode n = JSON.createObjectNode();
    n.put("error", message == null ? "bad request" : message);
    return n.toString();
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value =
          eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.put(key, value);
    }
    return out;
  }

  private static String contentType(String resource) {
    if (resource.endsWith(".html")) {
      return "text/html; charset=utf-8";
    }
    if (resource.endsWith(".js")) {
      return "text/javascript; charset=utf-8";
    }
    if (resource.endsWith(".css")) {
      return "text/css; charset=utf-8";
    }
    return resource.endsWith(".svg") ? "image/svg+xml" : "application/octet-stream";
  }

  /** The WebJar's version, from its pom.properties, so the pom is the one place it is named. */
  private static String echartsVersion() {
    try (InputStream in =
        Dashboard.class.getResourceAsStream(
            "/META-INF/maven/org.webjars.npm/echarts/pom.properties")) {
      if (in == null) {
        throw new IllegalStateException("the echarts WebJar is not on the class path");
      }
      java.util.Properties p = new java.util.Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
