package dev.docmesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Validates a custom resource against its CRD's structural OpenAPI v3 schema the way the API server
 * does with strict field validation: unknown fields are errors unless the schema preserves them,
 * and types, enums, required fields, patterns and bounds are checked.
 */
final class CrdSchema {
  private final String group;
  private final String kind;
  private final Map<String, JsonNode> schemaByVersion;

  private CrdSchema(String group, String kind, Map<String, JsonNode> schemaByVersion) {
    this.group = group;
    this.kind = kind;
    this.schemaByVersion = schemaByVersion;
  }

  /** Reads a CustomResourceDefinition from the test resources. */
  static CrdSchema load(String resource) {
    try (InputStream in = CrdSchema.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing " + resource);
      }
      JsonNode crd =
          Manifests.parseAll(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
              .get(0);
      Map<String, JsonNode> versions = new java.util.HashMap<>();
      for (JsonNode v : crd.path("spec").path("versions")) {
        versions.put(v.path("name").asText(), v.path("schema").path("openAPIV3Schema"));
      }
      return new CrdSchema(
          crd.path("spec").path("group").asText(),
          crd.path("spec").path("names").path("kind").asText(),
          versions);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  boolean covers(JsonNode object) {
    String apiVersion = object.path("apiVersion").asText();
    return object.path("kind").asText().equals(kind) && apiVersion.startsWith(group + "/");
  }

  /** The errors, each with its JSON path; empty when the object is valid. */
  List<String> validate(JsonNode object) {
    String version = object.path("apiVersion").asText().substring(group.length() + 1);
    JsonNode schema = schemaByVersion.get(version);
    List<String> errors = new ArrayList<>();
    if (schema == null) {
      errors.add("apiVersion " + object.path("apiVersion").asText() + " is not served by the CRD");
      return errors;
    }
    check(schema, object, "", errors, true);
    return errors;
  }

  private static void check(
      JsonNode schema, JsonNode value, String path, List<String> errors, boolean root) {
    if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
      if (!value.isInt() && !value.isLong() && !value.isTextual()) {
        errors.add(path + ": expected an integer or a string, got " + value.getNodeType());
      }
      return;
    }
    String type = schema.path("type").asText("");
    switch (type) {
      case "object" -> checkObject(schema, value, path, errors, root);
      case "array" -> {
        if (!value.isArray()) {
          errors.add(path + ": expected an array, got " + value.getNodeType());
          return;
        }
        JsonNode items = schema.path("items");
        for (int i = 0; i < value.size(); i++) {
          check(items, value.get(i), path + "[" + i + "]", errors, false);
        }
      }
      case "string" -> {
        if (!value.isTextual()) {
          errors.add(path + ": expected a string, got " + value.getNodeType());
        } else if (schema.has("pattern")
            && !value.asText().matches(".*(" + schema.get("pattern").asText() + ").*")) {
          errors.add(
              path + ": '" + value.asText() + "' does not match " + schema.get("pattern").asText());
        }
      }
      case "integer" -> {
        if (!value.isIntegralNumber()) {
          errors.add(path + ": expected an integer, got " + value.getNodeType());
        } else {
          bounds(schema, value, path, errors);
        }
      }
      case "number" -> {
        if (!value.isNumber()) {
          errors.add(path + ": expected a number, got " + value.getNodeType());
        } else {
          bounds(schema, value, path, errors);
        }
      }
      case "boolean" -> {
        if (!value.isBoolean()) {
          errors.add(path + ": expected a boolean, got " + value.getNodeType());
        }
      }
      default -> {
        // no type: anything (x-kubernetes-preserve-unknown-fields)
      }
    }
    if (schema.has("enum")) {
      boolean found = false;
      for (JsonNode e : schema.get("enum")) {
        found |= e.equals(value);
      }
      if (!found) {
        errors.add(path + ": " + value + " is not one of " + schema.get("enum"));
      }
    }
  }

  private static void bounds(JsonNode schema, JsonNode value, String path, List<String> errors) {
    if (schema.has("minimum") && value.asDouble() < schema.get("minimum").asDouble()) {
      errors.add(path + ": " + value + " is below the minimum " + schema.get("minimum"));
    }
    if (schema.has("maximum") && value.asDouble() > schema.get("maximum").asDouble()) {
      errors.add(path + ": " + value + " is above the maximum " + schema.get("maximum"));
    }
  }

  private static void checkObject(
      JsonNode schema, JsonNode value, String path, List<String> errors, boolean root) {
    if (!value.isObject()) {
      errors.add(path + ": expected an object, got " + value.getNodeType());
      return;
    }
    for (JsonNode required : schema.path("required")) {
      if (!value.has(required.asText())) {
        errors.add(path + ": missing required field '" + required.asText() + "'");
      }
    }
    JsonNode properties = schema.path("properties");
    JsonNode additional = schema.path("additionalProperties");
    boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String name = field.getKey();
      String at = path + "." + name;
      if (root && name.equals("metadata")) {
        continue; // ObjectMeta: checked by the API server's own schema, not the CRD's
      }
      if (properties.has(name)) {
        check(properties.get(name), field.getValue(), at, errors, false);
      } else if (additional.isObject()) {
        check(additional, field.getValue(), at, errors, false);
      } else if (!preserve && !(additional.isBoolean() && additional.asBoolean())) {
        errors.add(at + ": unknown field");
      }
    }
  }
}
