package dev.docmesh.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The monitoring component's Prometheus config and rules pass Debian's promtool, and the
 * Alertmanager config passes amtool, exactly as rendered into their ConfigMaps.
 */
class MonitoringConfigTest {
  static final Path COMPONENT = Manifests.k8s("components/monitoring");

  @Test
  void prometheusConfigPassesPromtool() throws Exception {
    Path promtool = Neighbours.need("promtool");
    Path rendered = renderedFile("prometheus-config", "prometheus.yml");
    assertThat(run(promtool.toString(), "check", "config", "--syntax-only", rendered.toString()))
        .contains("SUCCESS");
  }

  @Test
  void alertRulesPassPromtool() throws Exception {
    Path promtool = Neighbours.need("promtool");
    Path rendered = renderedFile("prometheus-rules", "docmesh-rules.yml");
    String out = run(promtool.toString(), "check", "rules", rendered.toString());
    assertThat(out).contains("SUCCESS: 9 rules found");
  }

  @Test
  void aBrokenRuleFailsPromtool() throws Exception {
    Path promtool = Neighbours.need("promtool");
    Path broken = Files.createTempFile("rules", ".yml");
    Files.writeString(
        broken,
        Files.readString(renderedFile("prometheus-rules", "docmesh-rules.yml"))
            .replace("sum(docmesh_queue_depth) > 1000", "sum(docmesh_queue_depth > 1000"));
    assertThat(exit(promtool.toString(), "check", "rules", broken.toString())).isNotZero();
  }

  @Test
  void alertmanagerConfigPassesAmtool() throws Exception {
    Path amtool = Neighbours.need("amtool");
    Path rendered = renderedFile("alertmanager-config", "alertmanager.yml");
    assertThat(run(amtool.toString(), "check-config", rendered.toString())).contains("SUCCESS");
  }

  @Test
  void grafanaFindsTheDashboardAndItsDatasource() throws Exception {
    JsonNode dashboard =
        ExecutableManifestsTest.JSON.readTree(
            Files.readString(renderedFile("grafana-dashboard-docmesh", "docmesh-dashboard.json")));
    List<String> exprs = new ArrayList<>();
    dashboard
        .path("panels")
        .forEach(p -> p.path("targets").forEach(t -> exprs.add(t.path("expr").asText())));
    assertThat(exprs).isNotEmpty().allSatisfy(e -> assertThat(e).isNotBlank());
    assertThat(dashboard.path("uid").asText()).isEqualTo("docmesh");
    // every panel names the provisioned datasource, and the provider reads the mounted ConfigMap
    JsonNode datasources =
        Manifests.YAML.readTree(
            Files.readString(renderedFile("grafana-provisioning", "datasources.yaml")));
    String uid = datasources.at("/datasources/0/uid").asText();
    dashboard
        .path("panels")
        .forEach(p -> assertThat(p.at("/datasource/uid").asText()).isEqualTo(uid));
    assertThat(datasources.at("/datasources/0/url").asText())
        .isEqualTo("http://prometheus.docmesh.svc.cluster.local:9090");
    JsonNode providers =
        Manifests.YAML.readTree(
            Files.readString(renderedFile("grafana-provisioning", "dashboards.yaml")));
    Workload grafana =
        Workload.named(Manifests.render(Manifests.k8s("overlays/minikube")), "grafana");
    JsonNode mounted = grafana.mounts().get(providers.at("/providers/0/options/path").asText());
    assertThat(mounted)
        .as("the provider's path is where the dashboard ConfigMap is mounted")
        .isNotNull();
    assertThat(mounted.at("/configMap/name").asText()).startsWith("grafana-dashboard-docmesh-");
  }

  /** The file as the pod sees it: the data of the rendered ConfigMap. */
  static Path renderedFile(String configMap, String key) throws IOException {
    var objects = Manifests.render(Manifests.k8s("overlays/minikube"));
    var cm =
        Manifests.ofKind(objects, "ConfigMap").stream()
            .filter(o -> Manifests.name(o).startsWith(configMap + "-"))
            .findFirst()
            .orElseThrow();
    Path dir = Files.createTempDirectory(configMap);
    Path file = dir.resolve(key);
    Files.writeString(file, cm.path("data").path(key).asText());
    return file;
  }

  private static int exit(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }

  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + out).isZero();
    return out;
  }
}
