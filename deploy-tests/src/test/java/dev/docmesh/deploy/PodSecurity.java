package dev.docmesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The Pod Security Standard "restricted" (which namespace docmesh enforces, version latest) as the
 * admission plugin checks a pod: the baseline controls, then the restricted ones. The rules are
 * Kubernetes' own (pod-security-admission policy checks); an empty list means admitted.
 */
final class PodSecurity {
  private static final Set<String> RESTRICTED_VOLUMES =
      Set.of(
          "configMap",
          "csi",
          "downwardAPI",
          "emptyDir",
          "ephemeral",
          "persistentVolumeClaim",
          "projected",
          "secret");
  private static final Set<String> VOLUME_META = Set.of("name");

  private PodSecurity() {}

  /** What keeps a pod with this spec out of a namespace enforcing "restricted". */
  static List<String> restrictedViolations(JsonNode pod) {
    List<String> v = new ArrayList<>();
    JsonNode podSc = pod.path("securityContext");
    for (String host : List.of("hostNetwork", "hostPID", "hostIPC")) {
      if (pod.path(host).asBoolean(false)) {
        v.add(host + " is true");
      }
    }
    for (JsonNode volume : pod.path("volumes")) {
      for (Iterator<String> it = volume.fieldNames(); it.hasNext(); ) {
        String type = it.next();
        if (!VOLUME_META.contains(type) && !RESTRICTED_VOLUMES.contains(type)) {
          v.add("volume " + volume.path("name").asText() + " is of type " + type);
        }
      }
    }
    boolean podNonRoot = podSc.path("runAsNonRoot").asBoolean(false);
    if (podSc.has("runAsNonRoot") && !podNonRoot) {
      v.add("pod runAsNonRoot is false");
    }
    if (podSc.has("runAsUser") && podSc.get("runAsUser").asLong() == 0) {
      v.add("pod runAsUser is 0");
    }
    String podSeccomp = podSc.at("/seccompProfile/type").asText("");
    if (!podSeccomp.isEmpty() && !Set.of("RuntimeDefault", "Localhost").contains(podSeccomp)) {
      v.add("pod seccompProfile is " + podSeccomp);
    }
    for (String field : List.of("initContainers", "containers", "ephemeralContainers")) {
      for (JsonNode c : pod.path(field)) {
        String name = "container " + c.path("name").asText();
        JsonNode sc = c.path("securityContext");
        if (sc.path("privileged").asBoolean(false)) {
          v.add(name + " is privileged");
        }
        if (!sc.has("allowPrivilegeEscalation") || sc.get("allowPrivilegeEscalation").asBoolean()) {
          v.add(name + ": allowPrivilegeEscalation is not false");
        }
        if (sc.has("runAsNonRoot") ? !sc.get("runAsNonRoot").asBoolean() : !podNonRoot) {
          v.add(name + ": runAsNonRoot is not true (pod or container)");
        }
        if (sc.has("runAsUser") && sc.get("runAsUser").asLong() == 0) {
          v.add(name + ": runAsUser is 0");
        }
        String seccomp = sc.at("/seccompProfile/type").asText(podSeccomp);
        if (!Set.of("RuntimeDefault", "Localhost").contains(seccomp)) {
          v.add(name + ": seccompProfile is not RuntimeDefault or Localhost (pod or container)");
        }
        List<String> drop = new ArrayList<>();
        sc.at("/capabilities/drop").forEach(d -> drop.add(d.asText()));
        if (!drop.contains("ALL")) {
          v.add(name + ": capabilities do not drop ALL");
        }
        for (JsonNode add : sc.at("/capabilities/add")) {
          if (!add.asText().equals("NET_BIND_SERVICE")) {
            v.add(name + ": adds capability " + add.asText());
          }
        }
        if (!sc.at("/procMount").asText("Default").equals("Default")) {
          v.add(name + ": procMount " + sc.at("/procMount").asText());
        }
        for (JsonNode port : c.path("ports")) {
          if (port.path("hostPort").asInt(0) != 0) {
            v.add(name + ": hostPort " + port.path("hostPort").asInt());
          }
        }
      }
    }
    return v;
  }
}
