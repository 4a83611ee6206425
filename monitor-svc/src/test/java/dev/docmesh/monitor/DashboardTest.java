package dev.docmesh.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.JsonFormat;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.orchestrator.OrchestratorMain;
import dev.docmesh.processor.ProcessorMain;
import dev.docmesh.proto.monitor.v1.GetSystemStatusRequest;
import dev.docmesh.proto.monitor.v1.GetSystemStatusResponse;
import dev.docmesh.proto.monitor.v1.HealthState;
import dev.docmesh.proto.monitor.v1.ListAlertsResponse;
import dev.docmesh.proto.monitor.v1.MonitorServiceGrpc;
import dev.docmesh.proto.monitor.v1.ServiceStatus;
import dev.docmesh.worker.WorkerMain;
import io.grpc.ManagedChannel;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.Rectangle;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/** The dashboard over HTTP: JSON that mirrors the gRPC API, and the page in headless Chromium. */
class DashboardTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path dir;
  private static MeshServer orchestrator;
  private static MeshServer processor;
  private static MeshServer worker;
  private static MeshServer monitor;

  @BeforeAll
  static void startMesh() {
    orchestrator =
        OrchestratorMain.start(
            Loopback.env(Map.of("DOCMESH_DATA_DIR", dir.resolve("orchestrator").toString())));
    processor = ProcessorMain.start(Loopback.env());
    worker =
        WorkerMain.start(
            Loopback.env(
                Map.of(
                    "DOCMESH_ORCHESTRATOR_TARGET", "127.0.0.1:" + orchestrator.grpcPort(),
                    "DOCMESH_PROCESSOR_TARGET", "127.0.0.1:" + processor.grpcPort())));
    monitor =
        MonitorMain.start(
            Loopback.env(
                Map.of(
                    "DOCMESH_MONITOR_TARGETS",
                    "orchestrator=127.0.0.1:"
                        + orchestrator.grpcPort()
                        + ",processor=127.0.0.1:"
                        + processor.grpcPort()
                        + ",worker=dns:localhost:"
                        + worker.grpcPort(), // every address of the name is an instance
                    "DOCMESH_MONITOR_SCRAPE_INTERVAL",
                    "250ms",
                    "DOCMESH_MONITOR_EVALUATION_INTERVAL",
                    "250ms")));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> status().getStatus().getHealth() == HealthState.HEALTH_STATE_SERVING);
  }

  @AfterAll
  static void stopMesh() {
    for (MeshServer s : new MeshServer[] {monitor, worker, processor, orchestrator}) {
      if (s != null) {
        s.close();
      }
    }
  }

  private static GetSystemStatusResponse status() {
    ManagedChannel channel = Loopback.channel(monitor.grpcPort());
    try {
      return MonitorServiceGrpc.newBlockingStub(channel)
          .getSystemStatus(GetSystemStatusRequest.getDefaultInstance());
    } finally {
      channel.shutdownNow();
    }
  }

  private static HttpResponse<String> http(String method, String path, String body)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + monitor.metricsPort() + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void jsonEndpointsMirrorTheGrpcApi() throws Exception {
    HttpResponse<String> status = http("GET", "/api/status", null);
    assertThat(status.statusCode()).isEqualTo(200);
    GetSystemStatusResponse.Builder parsed = GetSystemStatusResponse.newBuilder();
    JsonFormat.parser().merge(status.body(), parsed);
    assertThat(parsed.getStatus().getServicesList())
        .extracting(ServiceStatus::getName)
        .containsExactly("orchestrator", "processor", "worker");
    assertThat(parsed.getStatus().getHealth()).isEqualTo(status().getStatus().getHealth());
    assertThat(parsed.getStatus().getServices(2).getInstancesList())
        .extracting(i -> i.getAddress())
        .as("the dns: target resolved to addresses")
        .contains("127.0.0.1:" + worker.grpcPort());

    // the same alerts as ListAlerts over gRPC (alerts may change meanwhile: compare a settled pair)
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              ListAlertsResponse.Builder alerts = ListAlertsResponse.newBuilder();
              JsonFormat.parser()
                  .merge(http("GET", "/api/alerts?include_resolved=true", null).body(), alerts);
              assertThat(alerts.build()).isEqualTo(listAlerts());
            });

    JsonNode summary = JSON.readTree(http("GET", "/api/summary?window=1m", null).body());
    assertThat(summary.at("/summary/window").asText()).isEqualTo("60s");
    assertThat(summary.at("/summary/services/processor").isObject()).isTrue();

    assertThat(http("GET", "/api/summary?window=soon", null).statusCode()).isEqualTo(400);
    assertThat(http("GET", "/api/alerts?page_size=5000", null).statusCode()).isEqualTo(400);
    assertThat(
            JSON.readTree(http("GET", "/api/alerts?page_size=5000", null).body())
                .get("error")
                .asText())
        .contains("page_size");

    HttpResponse<String> silence =
        http(
            "POST",
            "/api/silences",
            "{\"rule\":\"InstanceDown\",\"matchers\":{\"service\":\"worker\"},\"duration\":\"600s\",\"createdBy\":\"test\"}");
    assertThat(silence.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(silence.body()).at("/silence/rule").asText())
        .isEqualTo("InstanceDown");
    assertThat(
            http("POST", "/api/silences", "{\"rule\":\"NoSuchRule\",\"duration\":\"600s\"}")
                .statusCode())
        .isEqualTo(404);
    assertThat(
            http("POST", "/api/silences", "{\"rule\":\"InstanceDown\",\"duration\":\"5s\"}")
                .statusCode())
        .isEqualTo(400);

    // the monitor follows the orchestrator's job firehose: connected, not merely a field that
    // exists
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                JSON.readTree(http("GET", "/api/jobs", null).body())
                    .get("connected")
                    .asBoolean(false));
    JsonNode jobs = JSON.readTree(http("GET", "/api/jobs", null).body());
    assertThat(jobs.get("connected").isBoolean()).isTrue();
    assertThat(jobs.get("jobs").isArray()).isTrue();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> JSON.readTree(http("GET", "/api/series", null).body()).size() >= 2);
    JsonNode point = JSON.readTree(http("GET", "/api/series", null).body()).get(0);
    assertThat(point.get("rps").has("orchestrator")).isTrue();

    assertThat(http("GET", "/assets/echarts.min.js", null).body()).contains("echarts");
    assertThat(http("GET", "/nope", null).statusCode()).isEqualTo(404);
    assertThat(http("GET", "/api/nope", null).statusCode()).isEqualTo(404);
    assertThat(http("GET", "/metrics", null).body()).contains("grpc_server_handled_total");
  }

  @Test
  void dashboardLoadsInHeadlessChromiumWithoutConsoleErrors() throws Exception {
    // the only reason to skip: a developer machine without the browser. CI installs it and sets
    // -Ddocmesh.require.chromium=true, so there a missing browser fails instead of skipping.
    boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    if (Boolean.getBoolean("docmesh.require.chromium")) {
      assertThat(installed)
          .as("%s and %s are required (docmesh.require.chromium=true)", CHROMIUM, CHROMEDRIVER)
          .isTrue();
    }
    Assumptions.assumeTrue(installed, "chromium not installed");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-quic",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1100",
        "--user-data-dir=" + Files.createTempDirectory(dir, "chromium-profile"));
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    WebDriver driver = new ChromeDriver(service, options);
    try {
      driver.get("http://127.0.0.1:" + monitor.metricsPort() + "/");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  "true"
                      .equals(driver.findElement(By.tagName("body")).getAttribute("data-loaded")));
      // a second round, so the charts have points
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> driver.findElements(By.cssSelector("#chart-rps canvas")).size() > 0);

      List<WebElement> services = driver.findElements(By.cssSelector(".service"));
      assertThat(services)
          .extracting(e -> e.getAttribute("data-service"))
          .containsExactly("orchestrator", "processor", "worker");
      assertThat(services)
          .allSatisfy(e -> assertThat(e.getText()).contains("serving").contains("127.0.0.1:"));
      assertThat(driver.findElement(By.id("overall")).getText()).isEqualTo("mesh serving");
      assertThat(driver.findElements(By.cssSelector(".chart canvas")))
          .hasSizeGreaterThanOrEqualTo(4);
      assertThat(driver.findElement(By.id("alerts")).getText()).contains("rule");
      assertThat(driver.findElement(By.id("jobs-feed")).getText()).isNotBlank();

      Path shot = Path.of("target", "dashboard.png");
      Files.createDirectories(shot.getParent());
      Files.write(
          shot, ((org.openqa.selenium.TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
      // the screenshot shows the rendered page: the dark header, the green "serving" badge where
      // the
      // page lays it out, and a drawn chart (a blank or error page has none of these)
      BufferedImage image = ImageIO.read(shot.toFile());
      assertThat(image).as("a PNG").isNotNull();
      double scale =
          image.getWidth()
              / ((Number) ((JavascriptExecutor) driver).executeScript("return window.innerWidth"))
                  .doubleValue();
      assertNear(pixel(image, scale, 3, 3), new Color(0x1d, 0x23, 0x30), "header background");
      Rectangle badge = driver.findElement(By.id("overall")).getRect();
      assertNear(
          pixel(image, scale, badge.getX() + 2, badge.getY() + badge.getHeight() / 2),
          new Color(0xd8, 0xf3, 0xdc),
          "serving badge background");
      Rectangle chart = driver.findElement(By.cssSelector("#chart-rps canvas")).getRect();
      assertThat(distinctColors(image, scale, chart))
          .as("colours drawn in the requests chart")
          .isGreaterThan(3);

      List<LogEntry> errors =
          driver.manage().logs().get(LogType.BROWSER).getAll().stream()
              .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
              .toList();
      assertThat(errors).as("browser console errors").isEmpty();
    } finally {
      driver.quit();
    }
  }

  private static Color pixel(BufferedImage image, double scale, int x, int y) {
    return new Color(image.getRGB((int) Math.round(x * scale), (int) Math.round(y * scale)));
  }

  /** Equal but for a few steps a channel (colour management may shift a CSS colour slightly). */
  private static void assertNear(Color actual, Color expected, String what) {
    assertThat(new int[] {actual.getRed(), actual.getGreen(), actual.getBlue()})
        .as("%s: %s, expected about %s", what, actual, expected)
        .satisfies(
            c -> {
              assertThat(c[0]).isCloseTo(expected.getRed(), org.assertj.core.data.Offset.offset(6));
              assertThat(c[1])
                  .isCloseTo(expected.getGreen(), org.assertj.core.data.Offset.offset(6));
              assertThat(c[2])
                  .isCloseTo(expected.getBlue(), org.assertj.core.data.Offset.offset(6));
            });
  }

  private static long distinctColors(BufferedImage image, double scale, Rectangle r) {
    java.util.Set<Integer> colors = new java.util.HashSet<>();
    for (int x = r.getX(); x < r.getX() + r.getWidth(); x += 2) {
      for (int y = r.getY(); y < r.getY() + r.getHeight(); y += 2) {
        colors.add(image.getRGB((int) (x * scale), (int) (y * scale)));
      }
    }
    return colors.size();
  }

  private static ListAlertsResponse listAlerts() {
    ManagedChannel channel = Loopback.channel(monitor.grpcPort());
    try {
      return MonitorServiceGrpc.newBlockingStub(channel)
          .listAlerts(
              dev.docmesh.proto.monitor.v1.ListAlertsRequest.newBuilder()
                  .setIncludeResolved(true)
                  .build());
    } finally {
      channel.shutdownNow();
    }
  }
}
