package dev.docmesh.orchestrator.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.docmesh.meshkit.config.ConfigException;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.RetryPolicy;
import dev.docmesh.proto.orchestrator.v1.Stage;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads pipelines from YAML:
 *
 * <pre>
 * pipelines:
 *   - name: pdf-quick
 *     description: metadata only
 *     stages:
 *       - name: metadata
 *         processor: pdf.metadata
 *         after: []
 *         timeout: 2m
 *         retry: {max_attempts: 3, initial_backoff: 1s, max_backoff: 30s, backoff_multiplier: 2}
 *         options: {key: value}
 * </pre>
 *
 * Durations take the same forms as DOCMESH_* durations ({@code 500ms}, {@code 30s}, {@code PT1M}).
 */
public final class PipelineYaml {
  private static final Set<String> PIPELINE_KEYS = Set.of("name", "description", "stages");
  private static final Set<String> STAGE_KEYS =
      Set.of("name", "processor", "after", "timeout", "retry", "options");
  private static final Set<String> RETRY_KEYS =
      Set.of("max_attempts", "initial_backoff", "max_backoff", "backoff_multiplier");

  private PipelineYaml() {}

  public static List<Pipeline> read(Path file) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
    } catch (IOException e) {
      throw new ConfigException(
          "DOCMESH_PIPELINES_FILE=" + file + " cannot be read: " + e.getMessage());
    }
    if (root == null || !root.path("pipelines").isArray()) {
      throw new ConfigException(
          "DOCMESH_PIPELINES_FILE=" + file + ": expected a top-level 'pipelines' list");
    }
    List<Pipeline> out = new ArrayList<>();
    int i = 0;
    for (JsonNode p : root.get("pipelines")) {
      out.add(pipeline(p, file + ": pipelines[" + i++ + "]"));
    }
    return out;
  }

  private static Pipeline pipeline(JsonNode n, String where) {
    checkKeys(n, PIPELINE_KEYS, where);
    Pipeline.Builder b =
        Pipeline.newBuilder()
            .setName(n.path("name").asText(""))
            .setDescription(n.path("description").asText(""));
    list(n, "stages", where);
    int i = 0;
    for (JsonNode s : n.path("stages")) {
      b.addStages(stage(s, where + ".stages[" + i++ + "]"));
    }
    return b.build();
  }

  private static Stage stage(JsonNode n, String where) {
    checkKeys(n, STAGE_KEYS, where);
    Stage.Builder b =
        Stage.newBuilder()
            .setName(n.path("name").asText(""))
            .setProcessor(n.path("processor").asText(""));
    list(n, "after", where);
    for (JsonNode a : n.path("after")) {
      b.addAfter(a.asText());
    }
    if (n.hasNonNull("timeout")) {
      b.setTimeout(duration(n.get("timeout"), where + ".timeout"));
    }
    JsonNode r = n.path("retry");
    if (r.isObject()) {
      checkKeys(r, RETRY_KEYS, where + ".retry");
      RetryPolicy.Builder rb =
          RetryPolicy.newBuilder()
              .setMaxAttempts(r.path("max_attempts").asInt(0))
              .setBackoffMultiplier(r.path("backoff_multiplier").asDouble(0));
      if (r.hasNonNull("initial_backoff")) {
        rb.setInitialBackoff(duration(r.get("initial_backoff"), where + ".retry.initial_backoff"));
      }
      if (r.hasNonNull("max_backoff")) {
        rb.setMaxBackoff(duration(r.get("max_backoff"), where + ".retry.max_backoff"));
      }
      b.setRetry(rb);
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = n.path("options").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      b.putOptions(e.getKey(), e.getValue().asText());
    }
    return b.build();
  }

  private static com.google.protobuf.Duration duration(JsonNode n, String where) {
    Duration d;
    try {
      d = dev.docmesh.meshkit.config.Env.of(Map.of("D", n.asText())).duration("D", null);
    } catch (ConfigException e) {
      d = null;
    }
    if (d == null) {
      throw new ConfigException(
          where + ": '" + n.asText() + "' is not a duration such as 500ms, 30s or PT1M");
    }
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(d.getSeconds())
        .setNanos(d.getNano())
        .build();
  }

  /** A key that must hold a list when present: a scalar would otherwise read as an empty list. */
  private static void list(JsonNode n, String key, String where) {
    if (n.hasNonNull(key) && !n.get(key).isArray()) {
      throw new ConfigException(
          where + "." + key + ": expected a list, e.g. [" + n.get(key).asText() + "]");
    }
  }

  private static void checkKeys(JsonNode n, Set<String> allowed, String where) {
    if (!n.isObject()) {
      throw new ConfigException(where + ": expected a mapping");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) {
        throw new ConfigException(where + ": unknown key '" + k + "' (allowed: " + allowed + ")");
      }
    }
  }
}
