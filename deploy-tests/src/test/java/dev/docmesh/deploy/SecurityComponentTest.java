package dev.docmesh.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
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

  // ------------------------------------------------------------------ the ghz Jobs, secured

  /**
   * Overlay minikube-secure with components load + load-secure (what {@code scripts/minikube.sh
   * load} applies there): every ghz Job has the files its scripts read, from Secrets and a
   * ConfigMap that are rendered and hold those keys; and the credentials are ones the mesh accepts.
   */
  @Test
  void theSecureLoadJobsMountWhatTheirScriptsRead() throws Exception {
    List<ObjectNode> objects = CrossCheckTest.SECURE_LOAD;
    List<Workload> jobs = Manifests.jobs(objects);
    assertThat(jobs).hasSizeGreaterThanOrEqualTo(10);
    List<String> errors = new ArrayList<>();
    for (Workload job : jobs) {
      errors.addAll(secureLoadErrors(objects, job));
    }
    assertThat(errors).isEmpty();

    // the scripts read what the variables name: secure-config.sh and grpcurl take ca.crt, tls.crt
    // and tls.key under GHZ_TLS_DIR, the token file and the protoset, and run-scenario.sh calls
    // secure-config.sh where the scripts are mounted
    String run = script(objects, "run-scenario.sh");
    String rewrite = script(objects, "secure-config.sh");
    assertThat(run)
        .contains("/scripts/secure-config.sh")
        .contains("\"$GHZ_TLS_DIR/ca.crt\"", "\"$GHZ_TLS_DIR/tls.crt\"", "\"$GHZ_TLS_DIR/tls.key\"")
        .contains("\"$GHZ_TOKEN_DIR/client\"", "-protoset \"$GHZ_PROTOSET\"");
    assertThat(rewrite)
        .contains("\"/ca.crt", "\"/tls.crt", "\"/tls.key", "$GHZ_TOKEN_DIR/$ROLE", "$GHZ_PROTOSET")
        .contains("ROLE=client", "ROLE=worker");
    for (Workload job : jobs) {
      assertThat(job.mounts().get("/scripts").at("/configMap/name").asText())
          .startsWith("ghz-scripts-");
    }

    // the client certificate is signed by the services' CA; the tokens are ones the mesh knows,
    // with the roles the scenarios' calls need (client on the orchestrator, worker for
    // ProcessorService/Process)
    ObjectNode clientTls = Manifests.get(objects, "Secret", "docmesh-client-tls");
    assertThat(clientTls.path("type").asText()).isEqualTo("kubernetes.io/tls");
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    X509Certificate client = certificate(x509, clientTls.at("/data/tls.crt").asText());
    X509Certificate ca = certificate(x509, clientTls.at("/data/ca.crt").asText());
    client.verify(ca.getPublicKey());
    assertThat(clientTls.at("/data/ca.crt").asText())
        .isEqualTo(
            Manifests.get(objects, "Secret", "orchestrator-tls").at("/data/ca.crt").asText());
    JsonNode tokens =
        Manifests.YAML.readTree(
            decode(
                Manifests.get(objects, "Secret", "docmesh-auth").at("/data/tokens.yaml").asText()));
    for (String role : List.of("client", "worker")) {
      String token =
          decode(
                  Manifests.get(objects, "Secret", "docmesh-load-tokens")
                      .at("/data/" + role)
                      .asText())
              .trim();
      String sha =
          HexFormat.of()
              .formatHex(
                  MessageDigest.getInstance("SHA-256")
                      .digest(token.getBytes(StandardCharsets.UTF_8)));
      JsonNode entry = null;
      for (JsonNode t : tokens.path("tokens")) {
        if (t.path("sha256").asText().equals(sha)) {
          entry = t;
        }
      }
      assertThat(entry).as("the ghz " + role + " token's SHA-256 in tokens.yaml").isNotNull();
      assertThat(entry.path("roles").toString()).contains("\"" + role + "\"");
    }
    // the hosts run-scenario.sh dials are names in the servers' certificates
    for (String[] host :
        List.of(
            new String[] {"orchestrator", "orchestrator"},
            new String[] {"processor", "processor"},
            new String[] {"processor", "processor-headless"})) {
      X509Certificate served =
          certificate(
              x509,
              Manifests.get(objects, "Secret", host[0] + "-tls").at("/data/tls.crt").asText());
      assertThat(served.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))))
          .as(host[0] + " certificate")
          .contains(host[1]);
      assertThat(run).contains(host[1] + ":5005");
    }
  }

  @Test
  void theSecureLoadCheckCanFail() {
    List<ObjectNode> objects = CrossCheckTest.SECURE_LOAD;
    ObjectNode job = Manifests.get(objects, "Job", "ghz-get-job").deepCopy();
    // the tokens mounted elsewhere than GHZ_TOKEN_DIR says, and the TLS Secret renamed
    for (JsonNode m : job.at("/spec/template/spec/containers/0/volumeMounts")) {
      if (m.path("name").asText().equals("load-tokens")) {
        ((ObjectNode) m).put("mountPath", "/etc/docmesh/tokens");
      }
    }
    for (JsonNode v : job.at("/spec/template/spec/volumes")) {
      if (v.path("name").asText().equals("client-tls")) {
        ((ObjectNode) v.get("secret")).put("secretName", "client-tls");
      }
    }
    List<ObjectNode> broken =
        new ArrayList<>(
            objects.stream()
                .filter(o -> !o.equals(Manifests.get(objects, "Job", "ghz-get-job")))
                .toList());
    broken.add(job);
    Workload w =
        Manifests.jobs(broken).stream()
            .filter(j -> j.name().equals("ghz-get-job"))
            .findFirst()
            .orElseThrow();
    assertThat(secureLoadErrors(broken, w))
        .anyMatch(e -> e.contains("GHZ_TOKEN_DIR"))
        .anyMatch(e -> e.contains("client-tls"));
  }

  /** What is wrong with one ghz Job's secure mounts in {@code objects}. */
  static List<String> secureLoadErrors(List<ObjectNode> objects, Workload job) {
    List<String> errors = new ArrayList<>();
    Map<String, String> env = job.environment("ghz", "10.0.0.2");
    Map<String, List<String>> files =
        Map.of(
            "GHZ_TLS_DIR", List.of("ca.crt", "tls.crt", "tls.key"),
            "GHZ_TOKEN_DIR", List.of("client", "worker"),
            "GHZ_PROTOSET", List.of(""));
    for (Map.Entry<String, List<String>> v : files.entrySet()) {
      String path = env.get(v.getKey());
      if (path == null) {
        errors.add(job.name() + ": no " + v.getKey());
        continue;
      }
      for (String file : v.getValue()) {
        String full = file.isEmpty() ? path : path + "/" + file;
        Optional<Map.Entry<String, JsonNode>> mount =
            job.mounts().entrySet().stream()
                .filter(m -> full.startsWith(m.getKey() + "/"))
                .findFirst();
        if (mount.isEmpty()) {
          errors.add(job.name() + " " + v.getKey() + ": " + full + " is not in a mounted volume");
          continue;
        }
        String key = full.substring(mount.get().getKey().length() + 1);
        JsonNode volume = mount.get().getValue();
        Optional<ObjectNode> source =
            volume.has("secret")
                ? Manifests.find(objects, "Secret", volume.at("/secret/secretName").asText())
                : Manifests.find(objects, "ConfigMap", volume.at("/configMap/name").asText());
        if (source.isEmpty()) {
          errors.add(
              job.name() + " " + v.getKey() + ": volume " + volume + " names no rendered object");
        } else if (!source.get().path("data").has(key)
            && !source.get().path("binaryData").has(key)) {
          errors.add(
              job.name()
                  + " "
                  + v.getKey()
                  + ": "
                  + Manifests.id(source.get())
                  + " has no key "
                  + key);
        }
        if (volume.has("secret") && volume.at("/secret/defaultMode").asInt() != 0440) {
          errors.add(job.name() + ": Secret volume " + volume + " is not mode 0440");
        }
      }
    }
    if (job.podSpec().at("/securityContext/fsGroup").asInt() != 10001) {
      errors.add(job.name() + ": no fsGroup 10001 (the Secrets are group-readable only)");
    }
    for (JsonNode m : job.container().path("volumeMounts")) {
      if (job.mounts().get(m.path("mountPath").asText()).has("secret")
          && !m.path("readOnly").asBoolean(false)) {
        errors.add(job.name() + ": " + m + " is not read-only");
      }
    }
    return errors;
  }

  private static String script(List<ObjectNode> objects, String name) {
    return Manifests.ofKind(objects, "ConfigMap").stream()
        .filter(c -> Manifests.name(c).startsWith("ghz-scripts-"))
        .findFirst()
        .orElseThrow()
        .at("/data/" + name)
        .asText();
  }

  private static String decode(String base64) {
    return new String(Base64.getMimeDecoder().decode(base64), StandardCharsets.UTF_8);
  }

  private static X509Certificate certificate(CertificateFactory x509, String base64)
      throws Exception {
    return (X509Certificate)
        x509.generateCertificate(new ByteArrayInputStream(Base64.getMimeDecoder().decode(base64)));
  }
}
