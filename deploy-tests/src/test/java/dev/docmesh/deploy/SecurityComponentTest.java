package dev.docmesh.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Overlay minikube-secure (the security component): every file a DOCMESH_*_FILE variable names is a
 * key of a Secret mounted read-only, the Secrets are what mesh-kit reads, and the probes work under
 * TLS (kubelet gRPC probes cannot do TLS: they ask /healthz on the plaintext HTTP port, which
 * follows gRPC health, see mesh-kit TlsTest).
 */
class SecurityComponentTest {
  static final List<ObjectNode> SECURE = CrossCheckTest.SECURE;
  static final List<String> FILE_VARIABLES =
      List.of(
          "DOCMESH_TLS_CERT_FILE",
          "DOCMESH_TLS_KEY_FILE",
          "DOCMESH_TLS_CA_FILE",
          "DOCMESH_AUTH_TOKENS_FILE");

  @Test
  void everyFileVariableNamesAKeyOfAMountedSecret() {
    List<String> errors = new ArrayList<>();
    for (String service : MeshFacts.SERVICES) {
      Workload w = Workload.named(SECURE, service);
      Map<String, String> env = w.environment("pod-0", "10.0.0.1");
      List<String> variables = new ArrayList<>(FILE_VARIABLES);
      if (service.equals("worker") || service.equals("monitor")) {
        variables.add("DOCMESH_TOKEN_FILE"); // the two that call other services
      }
      assertThat(env).as(service).containsKeys(variables.toArray(String[]::new));
      assertThat(MeshFacts.variablesRead(service)).as(service + " reads").containsAll(variables);
      for (String v : variables) {
        String file = env.get(v);
        Optional<Map.Entry<String, JsonNode>> mount =
            w.mounts().entrySet().stream()
                .filter(m -> file.startsWith(m.getKey() + "/"))
                .findFirst();
        if (mount.isEmpty() || !mount.get().getValue().has("secret")) {
          errors.add(service + " " + v + "=" + file + " is not in a mounted Secret");
          continue;
        }
        String key = file.substring(mount.get().getKey().length() + 1);
        String secretName = mount.get().getValue().at("/secret/secretName").asText();
        Optional<ObjectNode> secret = Manifests.find(SECURE, "Secret", secretName);
        if (secret.isEmpty()) {
          errors.add(service + ": Secret " + secretName + " is neither generated nor rendered");
        } else if (!secret.get().path("data").has(key)) {
          errors.add(service + " " + v + ": Secret " + secretName + " has no key " + key);
        }
      }
    }
    assertThat(errors).isEmpty();
  }

  @Test
  void secretsAreMountedReadOnlyForTheServiceUserOnly() {
    for (String service : MeshFacts.SERVICES) {
      Workload w = Workload.named(SECURE, service);
      assertThat(w.podSpec().at("/securityContext/fsGroup").asInt()).as(service).isEqualTo(10001);
      assertThat(w.podSpec().at("/securityContext/runAsUser").asInt()).as(service).isEqualTo(10001);
      int secretMounts = 0;
      for (JsonNode m : w.container().path("volumeMounts")) {
        JsonNode volume = w.mounts().get(m.path("mountPath").asText());
        if (volume.has("secret")) {
          secretMounts++;
          assertThat(m.path("readOnly").asBoolean(false)).as(service + " " + m).isTrue();
          // 0440: owner root and group fsGroup 10001 read; nobody else, no one writes
          assertThat(volume.at("/secret/defaultMode").asInt())
              .as(service + " " + m)
              .isEqualTo(0440);
        }
      }
      assertThat(secretMounts).as(service).isGreaterThanOrEqualTo(2);
      // the plain tokens of the others are never mounted: only the hashes and the service's own
      assertThat(
              w.mounts().values().stream()
                  .map(v -> v.at("/secret/secretName").asText())
                  .filter(n -> n.endsWith("-token")))
          .allMatch(n -> n.equals(service + "-token"));
    }
    List<String> violations = new ArrayList<>();
    for (Workload w : Workload.all(SECURE)) {
      PodSecurity.restrictedViolations(w.podSpec())
          .forEach(v -> violations.add(w.name() + ": " + v));
    }
    assertThat(violations).as("Pod Security restricted").isEmpty();
  }

  @Test
  void tlsSecretsHaveTheCertManagerShapeAndNameTheService() throws Exception {
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    for (String service : MeshFacts.SERVICES) {
      ObjectNode secret = Manifests.get(SECURE, "Secret", service + "-tls");
      assertThat(secret.path("type").asText()).isEqualTo("kubernetes.io/tls");
      List<String> keys = new ArrayList<>();
      secret.path("data").fieldNames().forEachRemaining(keys::add);
      assertThat(keys).containsExactlyInAnyOrder("tls.crt", "tls.key", "ca.crt");
      X509Certificate cert =
          (X509Certificate)
              x509.generateCertificate(
                  new ByteArrayInputStream(
                      Base64.getMimeDecoder().decode(secret.at("/data/tls.crt").asText())));
      List<String> sans =
          cert.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList();
      // the monitor verifies each instance against its Service name; the others dial the Services
      assertThat(sans).as(service).contains(service, service + ".docmesh.svc.cluster.local");
    }
    assertThat(Manifests.get(SECURE, "Secret", "docmesh-auth").path("data").has("tokens.yaml"))
        .isTrue();
  }

  @Test
  void probesAskHealthzOnThePlaintextHttpPortWhichStaysOpen() {
    for (String service : MeshFacts.SERVICES) {
      Workload w = Workload.named(SECURE, service);
      for (String kind : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
        JsonNode probe = w.probe(kind);
        assertThat(probe.has("grpc"))
            .as(service + " " + kind + ": kubelet gRPC probes cannot do TLS")
            .isFalse();
        assertThat(probe.at("/httpGet/path").asText())
            .as(service + " " + kind)
            .isEqualTo("/healthz");
        String port = probe.at("/httpGet/port").asText();
        assertThat(w.port(port)).as(service + " " + kind + " port").isPresent();
        assertThat(port).isEqualTo("http");
        // the probe period and thresholds stay the base's
        assertThat(probe.path("periodSeconds").asInt())
            .isEqualTo(
                Workload.named(CrossCheckTest.MINIKUBE, service)
                    .probe(kind)
                    .path("periodSeconds")
                    .asInt());
      }
      Map<String, String> env = w.environment("pod-0", "10.0.0.1");
      assertThat(env.getOrDefault("DOCMESH_HEALTHZ_REQUIRE_AUTH", "false"))
          .as(service + ": kubelet sends no token")
          .isEqualTo("false");
    }
  }
}
