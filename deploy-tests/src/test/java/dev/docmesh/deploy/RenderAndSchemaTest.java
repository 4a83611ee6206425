package dev.docmesh.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every kustomization renders, and every rendered object is schema-valid, strictly. */
class RenderAndSchemaTest {
  static final CrdSchema SCALED_OBJECT = CrdSchema.load("/schemas/keda.sh_scaledobjects.yaml");

  static Stream<Arguments> renderings() {
    return Stream.of(
        Arguments.of("base", Manifests.k8s("base")),
        Arguments.of("overlays/minikube", Manifests.k8s("overlays/minikube")),
        Arguments.of("overlays/minikube-keda", Manifests.k8s("overlays/minikube-keda")),
        Arguments.of("overlays/minikube-secure", Manifests.secureOverlay()),
        Arguments.of("overlays/minikube-postgres", Manifests.k8s("overlays/minikube-postgres")),
        Arguments.of("base + monitoring", Manifests.withComponents("monitoring")),
        Arguments.of("base + tracing", Manifests.withComponents("tracing")),
        Arguments.of("base + monitoring + keda", Manifests.withComponents("monitoring", "keda")),
        Arguments.of("base + load", Manifests.withComponents("load")),
        Arguments.of("overlays/minikube + load", Manifests.overlayWith("minikube", "load")),
        Arguments.of(
            "overlays/minikube-keda + load", Manifests.overlayWith("minikube-keda", "load")),
        Arguments.of(
            "overlays/minikube-secure + load + load-secure", Manifests.secureOverlayWithLoad()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("renderings")
  void rendersAndEveryObjectIsStrictlyValid(String what, Path dir) {
    List<ObjectNode> objects = Manifests.render(dir);
    assertThat(objects).as(what).isNotEmpty();
    List<String> errors = new ArrayList<>();
    for (ObjectNode o : objects) {
      errors.addAll(validate(o));
    }
    assertThat(errors).as(what).isEmpty();
  }

  /**
   * {@code scripts/minikube.sh load} applies {@code -l app.kubernetes.io/component=load} of the
   * overlay rendered with the load component: that selector must take exactly what the component
   * adds, and the component must leave the overlay's own objects as they were.
   */
  @ParameterizedTest
  @ValueSource(strings = {"minikube", "minikube-keda", "minikube-secure"})
  void theLoadComponentAddsOnlyObjectsItsLabelSelects(String overlay) {
    boolean secure = overlay.equals("minikube-secure");
    List<ObjectNode> plain =
        Manifests.render(secure ? Manifests.secureOverlay() : Manifests.k8s("overlays/" + overlay));
    List<ObjectNode> withLoad =
        Manifests.render(
            secure ? Manifests.secureOverlayWithLoad() : Manifests.overlayWith(overlay, "load"));
    List<ObjectNode> added = withLoad.stream().filter(o -> !plain.contains(o)).toList();
    assertThat(withLoad).containsAll(plain);
    assertThat(added)
        .extracting(Manifests::id)
        .contains("NetworkPolicy/ghz-to-processor", "Job/ghz-health");
    assertThat(
            withLoad.stream()
                .filter(
                    o ->
                        o.at("/metadata/labels/app.kubernetes.io~1component")
                            .asText()
                            .equals("load")))
        .containsExactlyInAnyOrderElementsOf(added);
  }

  static List<String> validate(JsonNode o) {
    if (SCALED_OBJECT.covers(o)) {
      return SCALED_OBJECT.validate(o).stream().map(e -> Manifests.id(o) + " " + e).toList();
    }
    try {
      StrictKubernetes.parse(o);
      return List.of();
    } catch (IllegalArgumentException e) {
      return List.of(e.getMessage());
    }
  }

  // --- the checks can fail: a misspelt or mistyped field is caught

  @Test
  void aMisspeltDeploymentFieldFails() {
    ObjectNode deployment =
        Manifests.get(Manifests.render(Manifests.k8s("base")), "Deployment", "processor")
            .deepCopy();
    ObjectNode container = (ObjectNode) deployment.at("/spec/template/spec/containers/0");
    container.set("readinesProbe", container.remove("readinessProbe"));
    assertThatThrownBy(() -> StrictKubernetes.parse(deployment))
        .hasMessageContaining("readinesProbe");
  }

  @Test
  void aMisspeltNestedFieldFails() {
    ObjectNode policy =
        Manifests.get(Manifests.render(Manifests.k8s("base")), "NetworkPolicy", "worker")
            .deepCopy();
    ObjectNode rule = (ObjectNode) policy.at("/spec/egress/0");
    rule.set("too", rule.remove("to"));
    assertThatThrownBy(() -> StrictKubernetes.parse(policy)).hasMessageContaining("too");
  }

  @Test
  void aWronglyTypedFieldFails() {
    ObjectNode sts =
        Manifests.get(Manifests.render(Manifests.k8s("base")), "StatefulSet", "orchestrator")
            .deepCopy();
    ((ObjectNode) sts.get("spec")).put("replicas", "one");
    assertThatThrownBy(() -> StrictKubernetes.parse(sts)).hasMessageContaining("replicas");
  }

  @Test
  void anUnknownKindFails() {
    ObjectNode o =
        Manifests.YAML.createObjectNode().put("apiVersion", "apps/v1").put("kind", "Deploymnet");
    assertThat(validate(o)).singleElement().asString().contains("no schema");
  }

  @Test
  void aMisspeltScaledObjectFieldFails() {
    ObjectNode so =
        Manifests.get(
                Manifests.render(Manifests.k8s("overlays/minikube-keda")), "ScaledObject", "worker")
            .deepCopy();
    assertThat(SCALED_OBJECT.validate(so)).isEmpty();
    ObjectNode spec = (ObjectNode) so.get("spec");
    spec.set("maxReplicas", spec.remove("maxReplicaCount"));
    ((ObjectNode) spec.at("/triggers/0")).put("type", 7);
    ((ArrayNode) spec.get("triggers")).add(Manifests.YAML.createObjectNode().put("metadata", "x"));
    assertThat(SCALED_OBJECT.validate(so))
        .anyMatch(e -> e.contains(".spec.maxReplicas: unknown field"))
        .anyMatch(e -> e.contains(".spec.triggers[0].type: expected a string"))
        .anyMatch(e -> e.contains("missing required field 'type'"));
  }
}
