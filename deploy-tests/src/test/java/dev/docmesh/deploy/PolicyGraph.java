package dev.docmesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Which connections the rendered NetworkPolicies allow, computed the way a CNI enforces them: a
 * connection from A to B:port is allowed when A may send it (A is not egress-isolated, or an egress
 * rule of a policy selecting A admits B:port) and B may receive it (likewise, ingress).
 */
final class PolicyGraph {
  /** A pod (or a stand-in for pods outside the namespace) that may send or receive. */
  record Peer(String name, String namespace, Map<String, String> labels, List<Port> ports) {}

  /** A container port; {@code name} may be empty. */
  record Port(String name, int number, String protocol) {
    @Override
    public String toString() {
      return number + (protocol.equals("TCP") ? "" : "/" + protocol);
    }
  }

  private final List<JsonNode> policies;
  private final Map<String, Map<String, String>> namespaceLabels;

  PolicyGraph(List<ObjectNode> objects, Map<String, Map<String, String>> namespaceLabels) {
    this.policies = new ArrayList<>(Manifests.ofKind(objects, "NetworkPolicy"));
    this.namespaceLabels = namespaceLabels;
  }

  /** Every allowed edge "src -> dst:port" between the given peers. */
  TreeSet<String> allowedEdges(List<Peer> peers) {
    TreeSet<String> edges = new TreeSet<>();
    for (Peer src : peers) {
      for (Peer dst : peers) {
        for (Port port : dst.ports()) {
          if (allowed(src, dst, port)) {
            edges.add(src.name() + " -> " + dst.name() + ":" + port);
          }
        }
      }
    }
    return edges;
  }

  boolean allowed(Peer src, Peer dst, Port port) {
    return side(src, dst, port, "Egress", "egress", "to")
        && side(dst, src, port, "Ingress", "ingress", "from");
  }

  /**
   * Whether {@code self} lets the connection with {@code other} on {@code port} through its
   * policies of one direction.
   */
  private boolean side(
      Peer self, Peer other, Port port, String type, String rulesField, String peersField) {
    boolean isolated = false;
    for (JsonNode p : policies) {
      if (!namespaceOf(p).equals(self.namespace())
          || !matches(p.at("/spec/podSelector"), self.labels())) {
        continue;
      }
      if (!policyTypes(p).contains(type)) {
        continue;
      }
      isolated = true;
      for (JsonNode rule : p.path("spec").path(rulesField)) {
        if (peerMatches(rule.path(peersField), other, namespaceOf(p))
            && portMatches(rule.path("ports"), port)) {
          return true;
        }
      }
    }
    return !isolated;
  }

  private static List<String> policyTypes(JsonNode p) {
    List<String> types = new ArrayList<>();
    if (p.at("/spec/policyTypes").isArray()) {
      p.at("/spec/policyTypes").forEach(t -> types.add(t.asText()));
    } else {
      types.add("Ingress");
      if (p.at("/spec/egress").isArray()) {
        types.add("Egress");
      }
    }
    return types;
  }

  private static String namespaceOf(JsonNode o) {
    return o.path("metadata").path("namespace").asText("default");
  }

  private boolean peerMatches(JsonNode peers, Peer other, String policyNamespace) {
    if (peers.isMissingNode() || peers.isNull()) {
      return true; // no from/to: every peer
    }
    for (JsonNode peer : peers) {
      if (peer.has("ipBlock")) {
        continue; // pods are not matched by IP here
      }
      boolean nsOk =
          peer.has("namespaceSelector")
              ? matches(
                  peer.get("namespaceSelector"),
                  namespaceLabels.getOrDefault(other.namespace(), Map.of()))
              : other.namespace().equals(policyNamespace);
      boolean podOk = !peer.has("podSelector") || matches(peer.get("podSelector"), other.labels());
      if (nsOk && podOk) {
        return true;
      }
    }
    return false;
  }

  private static boolean portMatches(JsonNode ports, Port port) {
    if (ports.isMissingNode() || ports.isNull() || ports.isEmpty()) {
      return true;
    }
    for (JsonNode p : ports) {
      if (!p.path("protocol").asText("TCP").equals(port.protocol())) {
        continue;
      }
      JsonNode value = p.get("port");
      if (value == null) {
        return true;
      }
      if (value.isTextual() && !value.asText().matches("\\d+")) {
        if (value.asText().equals(port.name())) {
          return true;
        }
      } else {
        int from = value.asInt();
        int to = p.has("endPort") ? p.get("endPort").asInt() : from;
        if (port.number() >= from && port.number() <= to) {
          return true;
        }
      }
    }
    return false;
  }

  /** A LabelSelector (matchLabels and matchExpressions) against labels. */
  static boolean matches(JsonNode selector, Map<String, String> labels) {
    if (selector == null || selector.isMissingNode() || selector.isNull()) {
      return true;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = selector.path("matchLabels").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().asText().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    for (JsonNode expr : selector.path("matchExpressions")) {
      String key = expr.path("key").asText();
      List<String> values = new ArrayList<>();
      expr.path("values").forEach(v -> values.add(v.asText()));
      boolean ok =
          switch (expr.path("operator").asText()) {
            case "In" -> labels.containsKey(key) && values.contains(labels.get(key));
            case "NotIn" -> !labels.containsKey(key) || !values.contains(labels.get(key));
            case "Exists" -> labels.containsKey(key);
            case "DoesNotExist" -> !labels.containsKey(key);
            default -> throw new IllegalArgumentException("unknown operator in " + expr);
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
