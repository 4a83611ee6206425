package dev.docmesh.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.docmesh.meshkit.security.MeshSecurity;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.meshkit.testing.TestTokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.UnexpectedAlertBehaviour;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * With authentication on, the dashboard's data needs a token: the page asks once and keeps it for
 * the tab.
 */
class DashboardLoginTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path dir;
  private static MeshServer monitor;
  private static Map<String, String> tokens;

  @BeforeAll
  static void start() {
    tokens =
        TestTokens.write(
            dir.resolve("tokens.yaml"),
            Map.of(
                "ops", List.of("operator"), "mon", List.of("monitor"), "alice", List.of("client")));
    monitor =
        MonitorMain.start(
            Loopback.env(
                Map.of(
                    MeshSecurity.AUTH_TOKENS_FILE,
                    dir.resolve("tokens.yaml").toString(),
                    "DOCMESH_MONITOR_TARGETS",
                    "orchestrator=127.0.0.1:1",
                    "DOCMESH_MONITOR_SCRAPE_INTERVAL",
                    "250ms")));
  }

  @AfterAll
  static void stop() {
    if (monitor != null) {
      monitor.close();
    }
  }

  private static int status(String method, String path, String token, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + monitor.metricsPort() + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  @Test
  void apiReadsNeedOperatorOrMonitorAndSilencesNeedOperator() throws Exception {
    assertThat(status("GET", "/api/status", null, null)).isEqualTo(401);
    assertThat(status("GET", "/api/status", "wrong", null)).isEqualTo(401);
    assertThat(status("GET", "/api/status", tokens.get("alice"), null)).isEqualTo(403);
    assertThat(status("GET", "/api/status", tokens.get("mon"), null)).isEqualTo(200);
    assertThat(status("GET", "/api/status", tokens.get("ops"), null)).isEqualTo(200);
    String silence = "{\"rule\":\"InstanceDown\",\"duration\":\"600s\",\"createdBy\":\"test\"}";
    assertThat(status("POST", "/api/silences", tokens.get("mon"), silence)).isEqualTo(403);
    assertThat(status("POST", "/api/silences", tokens.get("ops"), silence)).isEqualTo(200);
    assertThat(status("GET", "/", null, null)).isEqualTo(200);
    assertThat(status("GET", "/metrics", null, null)).isEqualTo(200);
  }

  @Test
  void thePageAsksForATokenOnceAndKeepsItForTheTab() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER), "chromium not installed");
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
        "--user-data-dir=" + Files.createTempDirectory(dir, "chromium-profile"));
    options.setUnhandledPromptBehaviour(UnexpectedAlertBehaviour.IGNORE);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    WebDriver driver = new ChromeDriver(service, options);
    try {
      driver.get("http://127.0.0.1:" + monitor.metricsPort() + "/");
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(() -> driver.switchTo().alert() != null);
      driver.switchTo().alert().sendKeys(tokens.get("ops"));
      driver.switchTo().alert().accept();
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(
              () ->
                  "true"
                      .equals(driver.findElement(By.tagName("body")).getAttribute("data-loaded")));
      assertThat(
              ((JavascriptExecutor) driver)
                  .executeScript("return sessionStorage.getItem('docmesh-token')"))
          .isEqualTo(tokens.get("ops"));
      assertThat(driver.findElements(By.cssSelector(".service"))).isNotEmpty();
    } finally {
      driver.quit();
    }
  }
}
