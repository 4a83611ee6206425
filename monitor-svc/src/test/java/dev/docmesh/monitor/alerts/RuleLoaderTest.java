package dev.docmesh.monitor.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.docmesh.meshkit.config.ConfigException;
import dev.docmesh.proto.monitor.v1.Severity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuleLoaderTest {
  @TempDir Path dir;

  @Test
  void readsEveryFieldOfARule() throws Exception {
    Path file =
        write(
            """
        rules:
          - name: HighErrorRate
            condition: error_rate
            threshold: 0.05
            window: 10m
            for: 2m
            keep_firing_for: 30s
            severity: critical
            matchers: {service: worker}
            labels: {team: docmesh}
            annotations:
              summary: "{{service}} errors"
        """);

    AlertRule rule = RuleLoader.load(file).get(0);

    assertThat(rule.name()).isEqualTo("HighErrorRate");
    assertThat(rule.condition()).isSameAs(Conditions.byName("error_rate"));
    assertThat(rule.threshold()).isEqualTo(0.05);
    assertThat(rule.window()).isEqualTo(Duration.ofMinutes(10));
    assertThat(rule.pendingFor()).isEqualTo(Duration.ofMinutes(2));
    assertThat(rule.keepFiringFor()).isEqualTo(Duration.ofSeconds(30));
    assertThat(rule.severity()).isEqualTo(Severity.SEVERITY_CRITICAL);
    assertThat(rule.matchers()).containsEntry("service", "worker");
    assertThat(rule.labels()).containsEntry("team", "docmesh");
    assertThat(rule.annotations()).containsEntry("summary", "{{service}} errors");
  }

  @Test
  void builtInRulesCoverEveryKindTheIssueAsksFor() {
    assertThat(RuleLoader.builtIn())
        .extracting(AlertRule::conditionName)
        .containsExactlyInAnyOrder(
            "instance_down",
            "no_healthy_instance",
            "error_rate",
            "latency_p99",
            "queue_depth",
            "queue_oldest_age",
            "no_worker_polling",
            "heap_usage",
            "cpu_usage");
  }

  @Test
  void mistakesNameTheRuleAndTheField() throws Exception {
    assertThatThrownBy(() -> RuleLoader.load(write("rules:\n  - name: A\n    condition: nope\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("rule 'A'")
        .hasMessageContaining("condition 'nope'");
    assertThatThrownBy(
            () ->
                RuleLoader.load(
                    write("rules:\n  - name: A\n    condition: error_rate\n    for: soon\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("rule 'A' for='soon'");
    assertThatThrownBy(
            () ->
                RuleLoader.load(
                    write("rules:\n  - name: A\n    condition: error_rate\n    treshold: 1\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown field 'treshold'");
    assertThatThrownBy(
            () ->
                RuleLoader.load(
                    write(
                        "rules:\n  - name: A\n    condition: error_rate\n  - name: A\n    condition: error_rate\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("defined twice");
    assertThatThrownBy(() -> RuleLoader.load(write("alerts: []\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'rules' list");
    assertThatThrownBy(() -> RuleLoader.load(dir.resolve("missing.yaml")))
        .isInstanceOf(ConfigException.class);
  }

  private Path write(String yaml) throws Exception {
    Path f = Files.createTempFile(dir, "rules", ".yaml");
    Files.writeString(f, yaml);
    return f;
  }
}
