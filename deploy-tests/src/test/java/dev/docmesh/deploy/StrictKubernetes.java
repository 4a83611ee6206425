package dev.docmesh.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Map;

/**
 * Parses rendered objects into the fabric8 Kubernetes model as the API server's strict field
 * validation would: an unknown or misspelt field, or a value of the wrong type, is an error.
 *
 * <p>fabric8's classes swallow unknown fields into an {@code additionalProperties} map (a Jackson
 * any-setter); switching any-setters off makes Jackson's own unknown-property check name the field
 * and its path.
 */
final class StrictKubernetes {
  private static final Map<String, Class<?>> KINDS =
      Map.ofEntries(
          Map.entry("v1/Namespace", io.fabric8.kubernetes.api.model.Namespace.class),
          Map.entry("v1/ConfigMap", io.fabric8.kubernetes.api.model.ConfigMap.class),
          Map.entry("v1/Secret", io.fabric8.kubernetes.api.model.Secret.class),
          Map.entry("v1/Service", io.fabric8.kubernetes.api.model.Service.class),
          Map.entry("v1/ServiceAccount", io.fabric8.kubernetes.api.model.ServiceAccount.class),
          Map.entry(
              "v1/PersistentVolumeClaim",
              io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class),
          Map.entry("apps/v1/Deployment", io.fabric8.kubernetes.api.model.apps.Deployment.class),
          Map.entry("apps/v1/StatefulSet", io.fabric8.kubernetes.api.model.apps.StatefulSet.class),
          Map.entry("batch/v1/Job", io.fabric8.kubernetes.api.model.batch.v1.Job.class),
          Map.entry(
              "autoscaling/v2/HorizontalPodAutoscaler",
              io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler.class),
          Map.entry(
              "policy/v1/PodDisruptionBudget",
              io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class),
          Map.entry(
              "networking.k8s.io/v1/NetworkPolicy",
              io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class),
          Map.entry(
              "rbac.authorization.k8s.io/v1/Role", io.fabric8.kubernetes.api.model.rbac.Role.class),
          Map.entry(
              "rbac.authorization.k8s.io/v1/RoleBinding",
              io.fabric8.kubernetes.api.model.rbac.RoleBinding.class));

  private static final ObjectMapper STRICT =
      JsonMapper.builder()
          .annotationIntrospector(
              new JacksonAnnotationIntrospector() {
                @Override
                public Boolean hasAnySetter(Annotated a) {
                  return Boolean.FALSE;
                }
              })
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .build();

  private StrictKubernetes() {}

  static boolean knows(JsonNode object) {
    return KINDS.containsKey(key(object));
  }

  private static String key(JsonNode object) {
    return object.path("apiVersion").asText() + "/" + object.path("kind").asText();
  }

  /** Parses the object into its model class; throws with the offending field on any mismatch. */
  static Object parse(JsonNode object) {
    Class<?> type = KINDS.get(key(object));
    if (type == null) {
      throw new IllegalArgumentException(
          "no schema for " + key(object) + " (" + Manifests.id(object) + ")");
    }
    try {
      return STRICT.treeToValue(object, type);
    } catch (Exception e) {
      throw new IllegalArgumentException(Manifests.id(object) + ": " + e.getMessage(), e);
    }
  }
}
