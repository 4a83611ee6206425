package dev.docmesh.monitor.alerts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.docmesh.meshkit.config.ConfigException;
import dev.docmesh.meshkit.config.Env;
import dev.docmesh.proto.monitor.v1.Severity;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads alert rules from YAML ({@code rules: [{name, condition, threshold, window, for,
 * keep_firing_for, severity, matchers, labels, annotations}]}). Mistakes fail start-up with the
 * rule and field named, like any other configuration error.
 */
public final class RuleLoader {
  private static final String BUILT_IN = "/dev/docmesh/monitor/default-rules.yaml";
  private static final Set<String> FIELDS =
      Set.of(
          "name",
          "condition",
          "threshold",
          "window",
          "for",
          "keep_firing_for",
          "severity",
          "matchers",
          "labels",
          "annotations");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private RuleLoader() {}

  public static List<AlertRule> builtIn() {
    try (InputStream in = RuleLoader.class.getResourceAsStream(BUILT_IN)) {
      return parse("built-in rules", YAML.readTree(in));
    } catch (IOException e) {
      throw new IllegalStateException("built-in rules unreadable", e);
    }
  }

  public static List<AlertRule> load(Path file) {
    JsonNode root;
    try {
      root = YAML.readTree(Files.readString(file));
    } catch (IOException e) {
      throw new ConfigException("alert rules " + file + " cannot be read: " + e.getMessage());
    }
    return parse(file.toString(), root);
  }

  static List<AlertRule> parse(String source, JsonNode root) {
    if (root == null || !root.path("rules").isArray()) {
      throw new ConfigException(source + ": expected a top-level 'rules' list");
    }
    List<AlertRule> rules = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (JsonNode node : root.path("rules")) {
      AlertRule rule = rule(source, node);
      if (!names.add(rule.name())) {
        throw new ConfigException(source + ": rule '" + rule.name() + "' is defined twice");
      }
      rules.add(rule);
    }
    return List.copyOf(rules);
  }

  private static AlertRule rule(String source, JsonNode node) {
    String name = node.path("name").asText("");
    if (name.isBlank()) {
      throw new ConfigException(source + ": every rule needs a name");
    }
    String where = source + " rule '" + name + "'";
    for (Map.Entry<String, JsonNode> property : node.properties()) {
      String field = property.getKey();
      if (!FIELDS.contains(field)) {
        throw new ConfigException(
            where + ": unknown field '" + field + "' (fields: " + FIELDS + ")");
      }
    }
    String conditionName = node.path("condition").asText("");
    Condition condition = Conditions.byName(conditionName);
    if (condition == null) {
      throw new ConfigException(
          where + ": condition '" + conditionName + "' is not one of " + Conditions.names());
    }
    JsonNode threshold = node.path("threshold");
    if (!threshold.isMissingNode() && !threshold.isNumber()) {
      throw new ConfigException(where + ": threshold must be a number");
    }
    return new AlertRule(
        name,
        conditionName,
        condition,
        threshold.asDouble(0),
        duration(where, node, "window", Duration.ofMinutes(5)),
        duration(where, node, "for", Duration.ZERO),
        duration(where, node, "keep_firing_for", Duration.ZERO),
        severity(where, node.path("severity").asText("warning")),
        strings(where, node, "matchers"),
        strings(where, node, "labels"),
        strings(where, node, "annotations"));
  }

  private static Duration duration(
      String where, JsonNode node, String field, Duration defaultValue) {
    // the same duration syntax as every DOCMESH_* variable
    return Env.of(
            node.has(field) ? Map.of(where + " " + field, node.get(field).asText()) : Map.of())
        .duration(where + " " + field, defaultValue);
  }

  private static Severity severity(String where, String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "info" -> Severity.SEVERITY_INFO;
      case "warning" -> Severity.SEVERITY_WARNING;
      case "critical" -> Severity.SEVERITY_CRITICAL;
      default ->
          throw new ConfigException(
              where + ": severity '" + text + "' is not info, warning or critical");
    };
  }

  private static Map<String, String> strings(String where, JsonNode node, String field) {
    JsonNode map = node.path(field);
    if (map.isMissingNode() || map.isNull()) {
      return Map.of();
    }
    if (!map.isObject()) {
      throw new ConfigException(where + ": " + field + " must be a map of strings");
    }
    Map<String, String> out = new LinkedHashMap<>();
    map.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }
}
