package dev.docmesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One rendered Deployment or StatefulSet with its single container, as the kubelet would run it.
 */
record Workload(ObjectNode object, List<ObjectNode> all) {

  static List<Workload> all(List<ObjectNode> objects) {
    return Manifests.workloads(objects).stream().map(o -> new Workload(o, objects)).toList();
  }

  static Workload named(List<ObjectNode> objects, String name) {
    return all(objects).stream()
        .filter(w -> w.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no workload " + name));
  }

  String kind() {
    return object.path("kind").asText();
  }

  String name() {
    return Manifests.name(object);
  }

  JsonNode podSpec() {
    return object.at("/spec/template/spec");
  }

  Map<String, String> podLabels() {
    return labels(object.at("/spec/template/metadata/labels"));
  }

  static Map<String, String> labels(JsonNode node) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  JsonNode container() {
    JsonNode containers = podSpec().path("containers");
    if (containers.size() != 1) {
      throw new AssertionError(name() + ": expected one container, found " + containers.size());
    }
    return containers.get(0);
  }

  /** containerPort by name ("grpc", "http"). */
  Optional<Integer> port(String portName) {
    for (JsonNode p : container().path("ports")) {
      if (p.path("name").asText().equals(portName)) {
        return Optional.of(p.path("containerPort").asInt());
      }
    }
    return Optional.empty();
  }

  List<PolicyGraph.Port> ports() {
    List<PolicyGraph.Port> out = new ArrayList<>();
    for (JsonNode p : container().path("ports")) {
      out.add(
          new PolicyGraph.Port(
              p.path("name").asText(""),
              p.path("containerPort").asInt(),
              p.path("protocol").asText("TCP")));
    }
    return out;
  }

  /** The ConfigMaps the container takes its environment from (envFrom), by name. */
  List<ObjectNode> configMaps() {
    List<ObjectNode> out = new ArrayList<>();
    for (JsonNode from : container().path("envFrom")) {
      String cm = from.path("configMapRef").path("name").asText(null);
      if (cm != null) {
        out.add(Manifests.get(all, "ConfigMap", cm));
      } else {
        throw new AssertionError(name() + ": envFrom other than a ConfigMap: " + from);
      }
    }
    return out;
  }

  /**
   * The environment the kubelet gives the container: envFrom ConfigMaps first, then {@code env}
   * (which wins). {@code fieldRef}s are resolved with {@code podName} and {@code podIp}.
   */
  Map<String, String> environment(String podName, String podIp) {
    Map<String, String> env = new LinkedHashMap<>();
    for (ObjectNode cm : configMaps()) {
      env.putAll(labels(cm.path("data")));
    }
    for (JsonNode e : container().path("env")) {
      String key = e.path("name").asText();
      if (e.has("value")) {
        env.put(key, e.get("value").asText());
      } else if (e.at("/valueFrom/fieldRef").isObject()) {
        String path = e.at("/valueFrom/fieldRef/fieldPath").asText();
        env.put(
            key,
            switch (path) {
              case "metadata.name" -> podName;
              case "metadata.namespace" -> object.path("metadata").path("namespace").asText();
              case "status.podIP" -> podIp;
              default -> throw new AssertionError(name() + ": unsupported fieldRef " + path);
            });
      } else if (e.at("/valueFrom/configMapKeyRef").isObject()) {
        ObjectNode cm =
            Manifests.get(all, "ConfigMap", e.at("/valueFrom/configMapKeyRef/name").asText());
        env.put(
            key, cm.path("data").path(e.at("/valueFrom/configMapKeyRef/key").asText()).asText());
      } else {
        throw new AssertionError(name() + ": unsupported env source for " + key + ": " + e);
      }
    }
    return env;
  }

  /** Every variable name the pod spec sets (ConfigMaps and env). */
  List<String> variableNames() {
    return new ArrayList<>(environment("pod", "10.0.0.1").keySet());
  }

  /** mountPath -> the volume's definition, for the container's mounts. */
  Map<String, JsonNode> mounts() {
    Map<String, JsonNode> volumes = new LinkedHashMap<>();
    for (JsonNode v : podSpec().path("volumes")) {
      volumes.put(v.path("name").asText(), v);
    }
    for (JsonNode t : object.at("/spec/volumeClaimTemplates")) {
      volumes.put(
          t.at("/metadata/name").asText(),
          Manifests.YAML.createObjectNode().set("persistentVolumeClaim", t));
    }
    Map<String, JsonNode> out = new LinkedHashMap<>();
    for (JsonNode m : container().path("volumeMounts")) {
      JsonNode v = volumes.get(m.path("name").asText());
      if (v == null) {
        throw new AssertionError(name() + ": mount " + m + " names no volume");
      }
      out.put(m.path("mountPath").asText(), v);
    }
    return out;
  }

  JsonNode probe(String kind) {
    return container().path(kind);
  }

  int terminationGraceSeconds() {
    return podSpec().path("terminationGracePeriodSeconds").asInt(30);
  }

  int preStopSleepSeconds() {
    return container().at("/lifecycle/preStop/sleep/seconds").asInt(0);
  }
}
