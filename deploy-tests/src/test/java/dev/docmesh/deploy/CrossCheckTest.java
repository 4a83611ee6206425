package dev.docmesh.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The rendered objects agree with each other and with the services they run. */
class CrossCheckTest {
  static final List<ObjectNode> BASE = Manifests.render(Manifests.k8s("base"));
  static final List<ObjectNode> MINIKUBE = Manifests.render(Manifests.k8s("overlays/minikube"));
  static final List<ObjectNode> KEDA = Manifests.render(Manifests.k8s("overlays/minikube-keda"));

  /**
   * What {@code scripts/minikube.sh load} renders: the deployed overlay with the load component.
   */
  static final List<ObjectNode> MINIKUBE_LOAD =
      Manifests.render(Manifests.overlayWith("minikube", "load"));

  static final List<ObjectNode> SECURE = Manifests.render(Manifests.secureOverlay());

  /** What {@code scripts/minikube.sh load} renders when the deployed overlay is minikube-secure. */
  static final List<ObjectNode> SECURE_LOAD = Manifests.render(Manifests.secureOverlayWithLoad());

  /** The orchestrator as replicas on PostgreSQL (the postgres component). */
  static final List<ObjectNode> POSTGRES =
      Manifests.render(Manifests.k8s("overlays/minikube-postgres"));

  static final List<ObjectNode> KEDA_LOAD =
      Manifests.render(Manifests.overlayWith("minikube-keda", "load"));
  static final Map<String, String> HEALTH_NAME =
      Map.of(
          "orchestrator", "docmesh.orchestrator.v1.OrchestratorService",
          "processor", "docmesh.processor.v1.ProcessorService",
          "worker", "docmesh.worker.v1.WorkerService",
          "monitor", "docmesh.monitor.v1.MonitorService");

  static List<ObjectNode> rendering(String which) {
    return switch (which) {
      case "base" -> BASE;
      case "minikube" -> MINIKUBE;
      case "minikube-keda" -> KEDA;
      case "minikube+load" -> MINIKUBE_LOAD;
      case "minikube-keda+load" -> KEDA_LOAD;
      case "minikube-secure" -> SECURE;
      case "minikube-secure+load" -> SECURE_LOAD;

      case "minikube-postgres" -> POSTGRES;
      default -> throw new IllegalArgumentException(which);
    };
  }

  // ------------------------------------------------------------------ selectors

  @ParameterizedTest
  @ValueSource(
      strings = {
        "base",
        "minikube",
        "minikube-keda",
        "minikube+load",
        "minikube-secure",
        "minikube-secure+load",
        "minikube-postgres"
      })
  void selectorsMatchPodLabels(String which) {
    List<ObjectNode> objects = rendering(which);
    List<String> errors = new ArrayList<>();
    List<Workload> workloads = Workload.all(objects);
    for (Workload w : workloads) {
      if (!PolicyGraph.matches(w.object().at("/spec/selector"), w.podLabels())) {
        errors.add(w.name() + ": selector does not match its own pod template");
      }
      for (Workload other : workloads) {
        if (other != w && PolicyGraph.matches(w.object().at("/spec/selector"), other.podLabels())) {
          errors.add(w.name() + ": selector also matches the pods of " + other.name());
        }
      }
    }
    for (ObjectNode s : Manifests.ofKind(objects, "Service")) {
      List<Workload> selected = selectedBy(workloads, s.at("/spec/selector"), true);
      if (selected.size() != 1) {
        errors.add("Service " + Manifests.name(s) + " selects " + selected.size() + " workloads");
      }
    }
    for (String kind : List.of("PodDisruptionBudget")) {
      for (ObjectNode o : Manifests.ofKind(objects, kind)) {
        if (selectedBy(workloads, o.at("/spec/selector"), false).size() != 1) {
          errors.add(kind + " " + Manifests.name(o) + " does not select exactly one workload");
        }
      }
    }
    for (ObjectNode hpa : Manifests.ofKind(objects, "HorizontalPodAutoscaler")) {
      String target =
          hpa.at("/spec/scaleTargetRef/kind").asText()
              + "/"
              + hpa.at("/spec/scaleTargetRef/name").asText();
      if (workloads.stream().noneMatch(w -> (w.kind() + "/" + w.name()).equals(target))) {
        errors.add("HPA " + Manifests.name(hpa) + " scales missing " + target);
      }
    }
    for (ObjectNode so : Manifests.ofKind(objects, "ScaledObject")) {
      String target =
          so.at("/spec/scaleTargetRef/kind").asText()
              + "/"
              + so.at("/spec/scaleTargetRef/name").asText();
      if (workloads.stream().noneMatch(w -> (w.kind() + "/" + w.name()).equals(target))) {
        errors.add("ScaledObject " + Manifests.name(so) + " scales missing " + target);
      }
      for (ObjectNode hpa : Manifests.ofKind(objects, "HorizontalPodAutoscaler")) {
        if (hpa.at("/spec/scaleTargetRef/name")
            .asText()
            .equals(so.at("/spec/scaleTargetRef/name").asText())) {
          errors.add(
              "both HPA "
                  + Manifests.name(hpa)
                  + " and ScaledObject "
                  + Manifests.name(so)
                  + " scale "
                  + target);
        }
      }
    }
    for (ObjectNode np : Manifests.ofKind(objects, "NetworkPolicy")) {
      if (Stream.concat(workloads.stream(), Manifests.jobs(objects).stream())
              .noneMatch(w -> PolicyGraph.matches(np.at("/spec/podSelector"), w.podLabels()))
          && !np.at("/spec/podSelector/matchLabels/docmesh.dev~1client").isTextual()) {
        errors.add("NetworkPolicy " + Manifests.name(np) + " selects no pod");
      }
    }
    for (Workload w : workloads) {
      if (w.kind().equals("StatefulSet")) {
        ObjectNode governing =
            Manifests.get(objects, "Service", w.object().at("/spec/serviceName").asText());
        assertThat(governing.at("/spec/clusterIP").asText())
            .as("governing Service of " + w.name())
            .isEqualTo("None");
      }
    }
    assertThat(errors).isEmpty();
  }

  private static List<Workload> selectedBy(
      List<Workload> workloads, JsonNode selector, boolean plainMap) {
    JsonNode asSelector =
        plainMap ? Manifests.YAML.createObjectNode().set("matchLabels", selector) : selector;
    if (plainMap && (selector.isMissingNode() || selector.isEmpty())) {
      return List.of();
    }
    return workloads.stream().filter(w -> PolicyGraph.matches(asSelector, w.podLabels())).toList();
  }

  // ------------------------------------------------------------------ ports and probes

  @ParameterizedTest
  @ValueSource(strings = {"minikube", "minikube-postgres"})
  void servicePortsReachDeclaredContainerPorts(String which) {
    List<ObjectNode> objects = rendering(which);
    List<String> errors = new ArrayList<>();
    List<Workload> workloads = Workload.all(objects);
    for (ObjectNode s : Manifests.ofKind(objects, "Service")) {
      Workload w = selectedBy(workloads, s.at("/spec/selector"), true).get(0);
      for (JsonNode p : s.at("/spec/ports")) {
        JsonNode target = p.has("targetPort") ? p.get("targetPort") : p.get("port");
        Integer containerPort =
            target.isInt() ? Integer.valueOf(target.asInt()) : w.port(target.asText()).orElse(null);
        if (containerPort == null
            || w.ports().stream().noneMatch(cp -> cp.number() == containerPort)) {
          errors.add(
              Manifests.name(s)
                  + " port "
                  + p.path("name").asText()
                  + ": targetPort "
                  + target
                  + " is not a containerPort of "
                  + w.name());
        } else if (containerPort != p.path("port").asInt()) {
          // headless Services hand out pod addresses: clients dial the Service port on the pod
          errors.add(
              Manifests.name(s)
                  + " port "
                  + p.path("port")
                  + " differs from the containerPort "
                  + containerPort);
        }
        if (target.isTextual() && !p.path("name").asText().equals(target.asText())) {
          errors.add(Manifests.name(s) + ": port named " + p.path("name") + " targets " + target);
        }
      }
    }
    assertThat(errors).isEmpty();
  }

  @Test
  void everyProbeUsesADeclaredPortAndAHealthNameTheServerRegisters() {
    List<String> errors = new ArrayList<>();
    for (String service : MeshFacts.SERVICES) {
      Workload w = Workload.named(MINIKUBE, service);
      Set<String> registered = MeshFacts.healthNames(service);
      for (String kind : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
        JsonNode probe = w.probe(kind);
        if (!probe.has("grpc")) {
          errors.add(service + " " + kind + " is not a gRPC probe");
          continue;
        }
        int port = probe.at("/grpc/port").asInt();
        if (w.port("grpc").orElse(-1) != port) {
          errors.add(service + " " + kind + " port " + port + " is not the grpc containerPort");
        }
        String name = probe.at("/grpc/service").asText("");
        if (!registered.contains(name)) {
          errors.add(
              service
                  + " "
                  + kind
                  + " asks health for '"
                  + name
                  + "'; the server registers "
                  + registered);
        }
        if (!name.equals(HEALTH_NAME.get(service))) {
          errors.add(
              service
                  + " "
                  + kind
                  + " should ask for the service's own name "
                  + HEALTH_NAME.get(service));
        }
      }
    }
    assertThat(errors).isEmpty();
  }

  @Test
  void imagesAndPortsFollowTheImageContract() {
    for (String service : MeshFacts.SERVICES) {
      Workload base = Workload.named(BASE, service);
      assertThat(base.container().path("image").asText()).isEqualTo("docmesh/" + service + ":dev");
      assertThat(base.ports()).extracting(PolicyGraph.Port::name).containsExactly("grpc", "http");
      assertThat(base.container().path("imagePullPolicy").asText()).isEqualTo("IfNotPresent");
    }
  }

  // ------------------------------------------------------------------ configuration

  @Test
  void everyDocmeshVariableSetIsOneTheServiceReads() {
    Map<String, Set<String>> unknown = new LinkedHashMap<>();
    for (List<ObjectNode> objects : List.of(BASE, MINIKUBE, KEDA, SECURE, POSTGRES)) {
      for (String service : MeshFacts.SERVICES) {
        Set<String> read = MeshFacts.variablesRead(service);
        assertThat(read)
            .as(service + " reads")
            .contains("DOCMESH_GRPC_PORT", "DOCMESH_SHUTDOWN_GRACE");
        for (String v : Workload.named(objects, service).variableNames()) {
          boolean known = read.contains(v) || v.equals("JAVA_OPTS") || OTEL_VARIABLES.contains(v);
          if (!known) {
            unknown.computeIfAbsent(service, k -> new TreeSet<>()).add(v);
          }
        }
      }
    }
    assertThat(unknown).as("variables set that the service never reads").isEmpty();
  }

  /** OpenTelemetry SDK autoconfiguration variables the tracing component may set. */
  static final Set<String> OTEL_VARIABLES =
      Set.of(
          "OTEL_TRACES_EXPORTER",
          "OTEL_EXPORTER_OTLP_ENDPOINT",
          "OTEL_EXPORTER_OTLP_PROTOCOL",
          "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
          "OTEL_TRACES_SAMPLER",
          "OTEL_TRACES_SAMPLER_ARG",
          "OTEL_RESOURCE_ATTRIBUTES",
          "OTEL_SERVICE_NAME");

  @Test
  void theVariablesKubernetesDependsOnAreSetAndAgreeWithTheSpec() {
    for (List<ObjectNode> objects : List.of(BASE, MINIKUBE, SECURE)) {
      for (String service : MeshFacts.SERVICES) {
        Workload w = Workload.named(objects, service);
        Map<String, String> env = w.environment("pod-0", "10.0.0.1");
        assertThat(env.get("DOCMESH_GRPC_PORT"))
            .as(service)
            .isEqualTo(String.valueOf(w.port("grpc").orElseThrow()));
        assertThat(env.get("DOCMESH_METRICS_PORT"))
            .as(service)
            .isEqualTo(String.valueOf(w.port("http").orElseThrow()));
        assertThat(env.get("DOCMESH_INSTANCE_ID"))
            .as(service + ": instance id is the pod name")
            .isEqualTo("pod-0");
        assertThat(env).as(service).containsKeys("DOCMESH_SHUTDOWN_GRACE", "DOCMESH_LOG_FORMAT");
      }
      Workload orchestrator = Workload.named(objects, "orchestrator");
      String dataDir = orchestrator.environment("o", "ip").get("DOCMESH_DATA_DIR");
      assertThat(orchestrator.mounts().get(dataDir))
          .as("DOCMESH_DATA_DIR is the PersistentVolumeClaim's mount")
          .isNotNull();
      assertThat(orchestrator.mounts().get(dataDir).has("persistentVolumeClaim")).isTrue();

      Workload processor = Workload.named(objects, "processor");
      String temp = processor.environment("p", "ip").get("DOCMESH_PDF_TEMP_DIR");
      assertThat(temp).as("PDF temp files on the writable emptyDir").startsWith("/tmp/");

      Map<String, String> worker = Workload.named(objects, "worker").environment("w", "ip");
      assertThat(worker.get("DOCMESH_ORCHESTRATOR_TARGET"))
          .isEqualTo(serviceTarget(objects, "orchestrator", "grpc", false));
      assertThat(worker.get("DOCMESH_PROCESSOR_TARGET"))
          .as("processors: every pod, round_robin")
          .isEqualTo(serviceTarget(objects, "processor-headless", "grpc", true));

      Map<String, String> monitor = Workload.named(objects, "monitor").environment("m", "ip");
      List<String> expected = new ArrayList<>();
      for (String s : MeshFacts.SERVICES) {
        expected.add(
            s
                + "="
                + serviceTarget(objects, s + "-headless", "grpc", true).replace("dns:///", "dns:"));
      }
      assertThat(monitor.get("DOCMESH_MONITOR_TARGETS")).isEqualTo(String.join(",", expected));
    }
    assertThat(
            Workload.named(MINIKUBE, "monitor")
                .environment("m", "ip")
                .get("DOCMESH_MONITOR_ALERTMANAGER_URL"))
        .isEqualTo(
            "http://alertmanager.docmesh.svc.cluster.local:"
                + Workload.named(MINIKUBE, "alertmanager").port("http").orElseThrow());
  }

  /**
   * Overlay minikube-postgres: the orchestrator is a Deployment of 2+ replicas (no SQLite
   * StatefulSet left) with a PDB that lets one go and the headless Service clients balance over;
   * PostgreSQL is a StatefulSet on a PVC with its password in a Secret; the orchestrator's
   * DOCMESH_STORE / DOCMESH_POSTGRES_* name that Service, database, user and Secret key, and are
   * variables its configuration reads.
   */
  @Test
  void theOrchestratorRunsAsReplicasOnTheDatabaseItsConfigurationNames() {
    assertThat(Manifests.find(POSTGRES, "StatefulSet", "orchestrator")).isEmpty();
    Workload orchestrator = Workload.named(POSTGRES, "orchestrator");
    assertThat(orchestrator.kind()).isEqualTo("Deployment");
    int replicas = orchestrator.object().at("/spec/replicas").asInt();
    assertThat(replicas).as("replicas").isGreaterThanOrEqualTo(2);
    assertThat(orchestrator.object().at("/spec/strategy/rollingUpdate/maxUnavailable").asInt(-1))
        .as("a rollout never goes below the replicas")
        .isZero();

    ObjectNode pdb = Manifests.get(POSTGRES, "PodDisruptionBudget", "orchestrator");
    assertThat(PolicyGraph.matches(pdb.at("/spec/selector"), orchestrator.podLabels())).isTrue();
    assertThat(pdb.at("/spec/maxUnavailable").isMissingNode()).isTrue();
    assertThat(pdb.at("/spec/minAvailable").asInt())
        .as("PDB keeps one replica and lets a drain take another")
        .isBetween(1, replicas - 1);

    ObjectNode headless = Manifests.get(POSTGRES, "Service", "orchestrator-headless");
    assertThat(headless.at("/spec/clusterIP").asText()).isEqualTo("None");
    assertThat(
            PolicyGraph.matches(
                Manifests.YAML.createObjectNode().set("matchLabels", headless.at("/spec/selector")),
                orchestrator.podLabels()))
        .isTrue();
    assertThat(headless.at("/spec/ports").findValuesAsText("name")).contains("grpc");

    Workload postgres = Workload.named(POSTGRES, "postgres");
    assertThat(postgres.kind()).isEqualTo("StatefulSet");
    Map<String, String> pgEnv = postgres.environment("postgres-0", "10.0.0.2");
    String pgData = pgEnv.get("PGDATA");
    assertThat(
            postgres.mounts().entrySet().stream()
                .filter(m -> pgData.startsWith(m.getKey() + "/"))
                .map(m -> m.getValue().has("persistentVolumeClaim"))
                .toList())
        .as("PGDATA lies on the PersistentVolumeClaim")
        .containsExactly(true);
    ObjectNode secret = Manifests.get(POSTGRES, "Secret", "postgres-credentials");
    assertThat(secret.at("/data/password").asText()).as("Secret key password").isNotEmpty();
    assertThat(secretFile(postgres, pgEnv.get("POSTGRES_PASSWORD_FILE")))
        .isEqualTo("postgres-credentials");

    Set<String> read = MeshFacts.variablesRead("orchestrator");
    Map<String, String> env = orchestrator.environment("orchestrator-x", "10.0.0.1");
    for (String v :
        List.of(
            "DOCMESH_STORE",
            "DOCMESH_POSTGRES_URL",
            "DOCMESH_POSTGRES_USER",
            "DOCMESH_POSTGRES_PASSWORD_FILE",
            "DOCMESH_POSTGRES_POOL_SIZE")) {
      assertThat(env).as("set in the overlay").containsKey(v);
      assertThat(read).as("read by the orchestrator").contains(v);
    }
    assertThat(env.get("DOCMESH_STORE")).isEqualTo("postgres");
    Matcher url =
        Pattern.compile("jdbc:postgresql://([a-z0-9.-]+):(\\d+)/([a-z0-9_]+)")
            .matcher(env.get("DOCMESH_POSTGRES_URL"));
    assertThat(url.matches()).as(env.get("DOCMESH_POSTGRES_URL")).isTrue();
    String serviceName = url.group(1).split("\\.")[0];
    ObjectNode service = Manifests.get(POSTGRES, "Service", serviceName);
    assertThat(
            PolicyGraph.matches(
                Manifests.YAML.createObjectNode().set("matchLabels", service.at("/spec/selector")),
                postgres.podLabels()))
        .as("the URL's host is a Service of the database")
        .isTrue();
    assertThat(service.at("/spec/ports").findValuesAsText("port")).contains(url.group(2));
    assertThat(url.group(3)).as("database").isEqualTo(pgEnv.get("POSTGRES_DB"));
    assertThat(env.get("DOCMESH_POSTGRES_USER")).isEqualTo(pgEnv.get("POSTGRES_USER"));
    assertThat(secretFile(orchestrator, env.get("DOCMESH_POSTGRES_PASSWORD_FILE")))
        .isEqualTo("postgres-credentials");
    assertThat(orchestrator.mounts().get(env.get("DOCMESH_DATA_DIR")).has("emptyDir"))
        .as("no volume of its own: the data dir is only the upload spool")
        .isTrue();

    List<String> violations = new ArrayList<>();
    for (Workload w : List.of(orchestrator, postgres)) {
      PodSecurity.restrictedViolations(w.podSpec())
          .forEach(v -> violations.add(w.name() + ": " + v));
    }
    assertThat(violations).isEmpty();
  }

  /**
   * The Secret whose key {@code password} the file {@code path} is: the secret volume mounted at
   * its directory, all keys or that key projected.
   */
  private static String secretFile(Workload w, String path) {
    int slash = path.lastIndexOf('/');
    JsonNode volume = w.mounts().get(path.substring(0, slash));
    assertThat(volume).as(w.name() + " mounts the directory of " + path).isNotNull();
    String key = path.substring(slash + 1);
    JsonNode items = volume.at("/secret/items");
    assertThat(
            items.isMissingNode()
                ? key.equals("password")
                : items.findValuesAsText("path").contains(key))
        .as(w.name() + ": " + path + " is the Secret's key password")
        .isTrue();
    return volume.at("/secret/secretName").asText();
  }

  /** dns:///name.docmesh.svc.cluster.local:port of an existing Service and port name. */
  private static String serviceTarget(
      List<ObjectNode> objects, String serviceName, String portName, boolean headless) {
    ObjectNode s = Manifests.get(objects, "Service", serviceName);
    assertThat(s.at("/spec/clusterIP").asText().equals("None"))
        .as(serviceName + " headless")
        .isEqualTo(headless);
    int port = -1;
    for (JsonNode p : s.at("/spec/ports")) {
      if (p.path("name").asText().equals(portName)) {
        port = p.path("port").asInt();
      }
    }
    return "dns:///"
        + serviceName
        + "."
        + s.at("/metadata/namespace").asText()
        + ".svc.cluster.local:"
        + port;
  }

  // ------------------------------------------------------------------ security and lifecycle

  @ParameterizedTest
  @ValueSource(strings = {"minikube", "minikube-secure", "minikube-postgres"})
  void everyPodIsLockedDown(String which) {
    List<ObjectNode> objects = rendering(which);
    List<String> errors = new ArrayList<>();
    for (Workload w : Workload.all(objects)) {
      JsonNode pod = w.podSpec().path("securityContext");
      JsonNode c = w.container().path("securityContext");
      check(
          errors,
          w,
          "runAsNonRoot",
          pod.path("runAsNonRoot").asBoolean(false) || c.path("runAsNonRoot").asBoolean(false));
      check(
          errors,
          w,
          "seccomp RuntimeDefault",
          pod.at("/seccompProfile/type").asText().equals("RuntimeDefault"));
      check(errors, w, "readOnlyRootFilesystem", c.path("readOnlyRootFilesystem").asBoolean(false));
      check(
          errors,
          w,
          "allowPrivilegeEscalation false",
          c.has("allowPrivilegeEscalation") && !c.get("allowPrivilegeEscalation").asBoolean());
      check(
          errors,
          w,
          "capabilities drop ALL",
          c.at("/capabilities/drop").toString().equals("[\"ALL\"]")
              && !c.at("/capabilities").has("add"));
      check(
          errors,
          w,
          "no service account token",
          !w.podSpec().path("automountServiceAccountToken").asBoolean(true));
      check(errors, w, "memory limit", w.container().at("/resources/limits/memory").isTextual());
      check(
          errors,
          w,
          "cpu and memory requests",
          w.container().at("/resources/requests/cpu").isTextual()
              && w.container().at("/resources/requests/memory").isTextual());
      check(
          errors,
          w,
          "app.kubernetes.io labels",
          w.podLabels()
              .keySet()
              .containsAll(
                  List.of(
                      "app.kubernetes.io/name",
                      "app.kubernetes.io/part-of",
                      "app.kubernetes.io/component")));
      check(
          errors,
          w,
          "namespace docmesh",
          w.object().at("/metadata/namespace").asText().equals("docmesh"));
      if (MeshFacts.SERVICES.contains(w.name())) {
        JsonNode tmp = w.mounts().get("/tmp");
        check(errors, w, "/tmp is an emptyDir", tmp != null && tmp.has("emptyDir"));
      }
    }
    for (ObjectNode o : objects) {
      if (!o.path("kind").asText().equals("Namespace")) {
        if (!o.at("/metadata/namespace").asText().equals("docmesh")) {
          errors.add(Manifests.id(o) + " is not in namespace docmesh");
        }
        if (!o.at("/metadata/labels/app.kubernetes.io~1part-of").asText().equals("docmesh")) {
          errors.add(Manifests.id(o) + " lacks app.kubernetes.io/part-of");
        }
      }
    }
    assertThat(errors).isEmpty();
  }

  /**
   * Namespace docmesh enforces Pod Security "restricted": every pod, the load Jobs' included, is
   * admitted.
   */
  @ParameterizedTest
  @ValueSource(strings = {"minikube+load", "minikube-keda+load", "minikube-secure+load"})
  void everyPodPassesPodSecurityRestricted(String which) {
    List<ObjectNode> objects = rendering(which);
    assertThat(
            Manifests.get(objects, "Namespace", "docmesh")
                .at("/metadata/labels/pod-security.kubernetes.io~1enforce")
                .asText())
        .isEqualTo("restricted");
    List<Workload> pods =
        Stream.concat(Workload.all(objects).stream(), Manifests.jobs(objects).stream()).toList();
    assertThat(pods)
        .extracting(Workload::name)
        .contains("orchestrator", "ghz-health", "ghz-process-round-robin");
    List<String> errors = new ArrayList<>();
    for (Workload w : pods) {
      PodSecurity.restrictedViolations(w.podSpec())
          .forEach(v -> errors.add(w.kind() + "/" + w.name() + ": " + v));
    }
    assertThat(errors).isEmpty();
  }

  @Test
  void theRestrictedCheckCanFail() {
    ObjectNode job = Manifests.get(MINIKUBE_LOAD, "Job", "ghz-health").deepCopy();
    ObjectNode pod = (ObjectNode) job.at("/spec/template/spec");
    ((ObjectNode) pod.get("securityContext")).remove("seccompProfile");
    ((ObjectNode) pod.at("/containers/0/securityContext")).put("allowPrivilegeEscalation", true);
    ((com.fasterxml.jackson.databind.node.ArrayNode) pod.get("volumes"))
        .addObject()
        .put("name", "host")
        .putObject("hostPath")
        .put("path", "/");
    assertThat(PodSecurity.restrictedViolations(pod))
        .anyMatch(v -> v.contains("seccompProfile"))
        .anyMatch(v -> v.contains("allowPrivilegeEscalation"))
        .anyMatch(v -> v.contains("hostPath"));
  }

  /** One suspended ghz Job a config, locked down like the services, writing only to emptyDirs. */
  @ParameterizedTest
  @ValueSource(strings = {"minikube+load", "minikube-secure+load"})
  void theLoadJobsAreSuspendedLockedDownAndRunTheirOwnConfig(String which) {
    List<ObjectNode> objects = rendering(which);
    List<Workload> jobs = Manifests.jobs(objects);
    ObjectNode configs =
        Manifests.ofKind(objects, "ConfigMap").stream()
            .filter(c -> Manifests.name(c).startsWith("ghz-configs-"))
            .findFirst()
            .orElseThrow();
    Set<String> scenarios = new TreeSet<>();
    configs
        .path("data")
        .fieldNames()
        .forEachRemaining(f -> scenarios.add(f.replaceFirst("\\.json$", "")));
    assertThat(jobs)
        .extracting(Workload::name)
        .containsExactlyInAnyOrderElementsOf(scenarios.stream().map(n -> "ghz-" + n).toList());
    List<String> errors = new ArrayList<>();
    for (Workload w : jobs) {
      String scenario = w.podLabels().get("docmesh.dev/scenario");
      JsonNode c = w.container().path("securityContext");
      check(errors, w, "suspended", w.object().at("/spec/suspend").asBoolean(false));
      check(
          errors,
          w,
          "runs its own scenario",
          w.name().equals("ghz-" + scenario)
              && w.container().path("command").toString().endsWith(",\"" + scenario + "\"]"));
      check(
          errors,
          w,
          "ghz pod labels",
          "ghz".equals(w.podLabels().get("app.kubernetes.io/name"))
              && "true".equals(w.podLabels().get("docmesh.dev/client")));
      check(errors, w, "readOnlyRootFilesystem", c.path("readOnlyRootFilesystem").asBoolean(false));
      check(
          errors,
          w,
          "no service account token",
          !w.podSpec().path("automountServiceAccountToken").asBoolean(true));
      check(errors, w, "memory limit", w.container().at("/resources/limits/memory").isTextual());
      check(
          errors,
          w,
          "image docmesh-ghz:dev, never pulled",
          w.container().path("image").asText().equals("docmesh-ghz:dev")
              && w.container().path("imagePullPolicy").asText().equals("IfNotPresent"));
      for (String writable : List.of("/tmp", "/results")) {
        JsonNode v = w.mounts().get(writable);
        check(errors, w, writable + " is an emptyDir", v != null && v.has("emptyDir"));
      }
      check(
          errors,
          w,
          "configs mounted from ghz-configs",
          w.mounts().get("/ghz") != null
              && w.mounts()
                  .get("/ghz")
                  .at("/configMap/name")
                  .asText()
                  .equals(Manifests.name(configs)));
    }
    assertThat(errors).isEmpty();
  }

  private static void check(List<String> errors, Workload w, String what, boolean ok) {
    if (!ok) {
      errors.add(w.name() + ": " + what);
    }
  }

  @Test
  void theGracePeriodHoldsPreStopAndTheDrain() {
    for (String service : MeshFacts.SERVICES) {
      Workload w = Workload.named(MINIKUBE, service);
      long grace =
          dev.docmesh.meshkit.config.Env.of(w.environment("p", "ip"))
              .duration("DOCMESH_SHUTDOWN_GRACE", java.time.Duration.ofSeconds(20))
              .toSeconds();
      // MeshServer: NOT_SERVING, before-stop hooks, then in-flight calls get the grace, then 5 s
      // forced;
      // a worker's drain adds up to 10 s to hand tasks back
      long needed = w.preStopSleepSeconds() + grace + 5 + (service.equals("worker") ? 10 + 5 : 0);
      assertThat(w.preStopSleepSeconds())
          .as(service + " preStop sleep (endpoints go before the drain)")
          .isPositive();
      assertThat((long) w.terminationGraceSeconds())
          .as(service + " terminationGracePeriodSeconds")
          .isGreaterThanOrEqualTo(needed);
    }
  }

  // ------------------------------------------------------------------ memory

  @Test
  void memoryRequestsAndLimitsHoldTheMeasuredRss() throws IOException {
    Properties measured = new Properties();
    try (InputStream in = getClass().getResourceAsStream("/measured-rss.properties")) {
      measured.load(in);
    }
    Pattern ram = Pattern.compile("-XX:MaxRAMPercentage=(\\d+(?:\\.\\d+)?)");
    for (String service : MeshFacts.SERVICES) {
      Workload w = Workload.named(MINIKUBE, service);
      long busy = Long.parseLong(measured.getProperty(service + ".busy.mib")) * 1024 * 1024;
      long idle = Long.parseLong(measured.getProperty(service + ".idle.mib")) * 1024 * 1024;
      long request = bytes(w.container().at("/resources/requests/memory").asText());
      long limit = bytes(w.container().at("/resources/limits/memory").asText());
      assertThat(request)
          .as(service + " memory request covers the measured busy RSS")
          .isGreaterThanOrEqualTo(busy);
      assertThat(limit)
          .as(service + " memory limit: 1.5 x busy RSS of headroom")
          .isGreaterThanOrEqualTo(busy * 3 / 2);
      assertThat(idle).isLessThan(busy + 1);
      String javaOpts = w.environment("p", "ip").get("JAVA_OPTS");
      Matcher m = ram.matcher(javaOpts);
      assertThat(m.find()).as(service + " JAVA_OPTS sizes the heap from the limit").isTrue();
      double percent = Double.parseDouble(m.group(1));
      // what is not heap (metaspace, code cache, threads, direct buffers) was ~90-110 MiB measured
      assertThat(limit * (100 - percent) / 100)
          .as(service + " room outside the heap")
          .isGreaterThanOrEqualTo(128L * 1024 * 1024);
      assertThat(javaOpts).contains("-XX:+ExitOnOutOfMemoryError");
    }
  }

  static long bytes(String quantity) {
    return Quantity.getAmountInBytes(new Quantity(quantity))
        .setScale(0, java.math.RoundingMode.UP)
        .longValueExact();
  }

  // ------------------------------------------------------------------ network policies

  /** The mesh's data flows, and nothing else. */
  static final Set<String> EXPECTED_EDGES_MINIKUBE =
      new TreeSet<>(
          List.of(
              // clients from anywhere -> orchestrator grpc
              "outside -> orchestrator:50051",
              "client -> orchestrator:50051",
              "kube-dns -> orchestrator:50051",
              "keda -> orchestrator:50051",
              "worker -> orchestrator:50051",
              "monitor -> orchestrator:50051",
              // worker -> processor; monitor -> every grpc
              "worker -> processor:50052",
              "monitor -> processor:50052",
              "monitor -> worker:50053",
              "monitor -> monitor:50054",
              // prometheus -> every /metrics port, and alertmanager
              "prometheus -> orchestrator:9091",
              "prometheus -> processor:9092",
              "prometheus -> worker:9093",
              "prometheus -> monitor:9094",
              "prometheus -> alertmanager:9093",
              "monitor -> alertmanager:9093",
              "grafana -> prometheus:9090",
              // traces
              "orchestrator -> jaeger:4318",
              "processor -> jaeger:4318",
              "worker -> jaeger:4318",
              "monitor -> jaeger:4318"));

  /** KEDA's operator queries Prometheus for the backlog. */
  static final List<String> KEDA_EDGES = List.of("keda -> prometheus:9090");

  /**
   * The ghz Jobs (clients): the orchestrator as every client, and the processors straight for the
   * ProcessorService scenarios (process-text through the Service, process-round-robin every pod).
   */
  static final List<String> LOAD_EDGES =
      List.of("ghz -> orchestrator:50051", "ghz -> processor:50052");

  /** The orchestrator replicas reach their database; nothing else does. */
  static final List<String> POSTGRES_EDGES = List.of("orchestrator -> postgres:5432");

  static Set<String> expectedEdges(String which) {
    Set<String> expected = new TreeSet<>(EXPECTED_EDGES_MINIKUBE);
    if (which.equals("minikube-postgres")) {
      expected.addAll(POSTGRES_EDGES);
    }
    if (which.startsWith("minikube-keda")) {
      expected.addAll(KEDA_EDGES);
    }
    if (which.endsWith("+load")) {
      expected.addAll(LOAD_EDGES);
    }
    return expected;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "minikube",
        "minikube-keda",
        "minikube+load",
        "minikube-keda+load",
        "minikube-secure",
        "minikube-secure+load",
        "minikube-postgres"
      })
  void networkPoliciesAllowExactlyTheMeshFlows(String which) {
    List<ObjectNode> objects = rendering(which);
    Set<String> edges = new TreeSet<>(policyEdges(objects));
    Set<String> dns = new TreeSet<>();
    edges.removeIf(
        e -> e.endsWith("-> kube-dns:53") || e.endsWith("-> kube-dns:53/UDP") ? dns.add(e) : false);
    assertThat(edges).containsExactlyInAnyOrderElementsOf(expectedEdges(which));
    // every pod of the namespace reaches cluster DNS, over UDP and TCP
    for (PolicyGraph.Peer p : podPeers(objects)) {
      assertThat(dns).contains(p.name() + " -> kube-dns:53", p.name() + " -> kube-dns:53/UDP");
    }
  }

  @Test
  void thePolicyGraphCanFail() {
    // the computation is not vacuous: without the policies everything may talk to everything
    List<ObjectNode> withoutPolicies =
        MINIKUBE.stream().filter(o -> !o.path("kind").asText().equals("NetworkPolicy")).toList();
    assertThat(policyEdges(withoutPolicies))
        .contains("processor -> worker:50053", "outside -> processor:9092");
    // and a policy dropped from the base shows up as a missing edge
    List<ObjectNode> noWorkerPolicy =
        MINIKUBE.stream().filter(o -> !Manifests.id(o).equals("NetworkPolicy/worker")).toList();
    assertThat(policyEdges(noWorkerPolicy)).doesNotContain("worker -> processor:50052");
    // either end of the load component's processor edge closes it
    for (String policy :
        List.of("NetworkPolicy/ghz-to-processor", "NetworkPolicy/processor-from-ghz")) {
      List<ObjectNode> without =
          MINIKUBE_LOAD.stream().filter(o -> !Manifests.id(o).equals(policy)).toList();
      assertThat(policyEdges(without))
          .as("without " + policy)
          .contains("ghz -> orchestrator:50051")
          .doesNotContain("ghz -> processor:50052");
    }
  }

  /**
   * The namespace's pods: one peer a workload, and one a kind of Job pod (named by its
   * app.kubernetes.io/name: the ten ghz Jobs differ only in their scenario).
   */
  static List<PolicyGraph.Peer> podPeers(List<ObjectNode> objects) {
    Map<String, PolicyGraph.Peer> peers = new LinkedHashMap<>();
    for (Workload w : Workload.all(objects)) {
      peers.put(w.name(), new PolicyGraph.Peer(w.name(), "docmesh", w.podLabels(), w.ports()));
    }
    for (Workload job : Manifests.jobs(objects)) {
      String name = job.podLabels().getOrDefault("app.kubernetes.io/name", job.name());
      peers.putIfAbsent(name, new PolicyGraph.Peer(name, "docmesh", job.podLabels(), job.ports()));
    }
    return List.copyOf(peers.values());
  }

  static List<String> policyEdges(List<ObjectNode> objects) {
    Map<String, Map<String, String>> namespaces =
        Map.of(
            "docmesh", Map.of("kubernetes.io/metadata.name", "docmesh"),
            "kube-system", Map.of("kubernetes.io/metadata.name", "kube-system"),
            "keda", Map.of("kubernetes.io/metadata.name", "keda"),
            "elsewhere", Map.of("kubernetes.io/metadata.name", "elsewhere"));
    List<PolicyGraph.Peer> peers = new ArrayList<>(podPeers(objects));
    peers.add(
        new PolicyGraph.Peer("client", "docmesh", Map.of("docmesh.dev/client", "true"), List.of()));
    peers.add(new PolicyGraph.Peer("outside", "elsewhere", Map.of(), List.of()));
    peers.add(new PolicyGraph.Peer("keda", "keda", Map.of("app", "keda-operator"), List.of()));
    peers.add(
        new PolicyGraph.Peer(
            "kube-dns",
            "kube-system",
            Map.of("k8s-app", "kube-dns"),
            List.of(
                new PolicyGraph.Port("dns", 53, "UDP"),
                new PolicyGraph.Port("dns-tcp", 53, "TCP"))));
    return new ArrayList<>(new PolicyGraph(objects, namespaces).allowedEdges(peers));
  }
}
