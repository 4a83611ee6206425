package dev.docmesh.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.docmesh.deploy.LocalCluster.Pod;
import dev.docmesh.proto.monitor.v1.GetSystemStatusRequest;
import dev.docmesh.proto.monitor.v1.HealthState;
import dev.docmesh.proto.monitor.v1.MonitorServiceGrpc;
import dev.docmesh.proto.monitor.v1.SystemStatus;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobResultRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.ListWorkersRequest;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Minikube overlay, run: every docmesh workload as a local process exactly as rendered (see
 * {@link LocalCluster}), Prometheus and Alertmanager from Debian's packages with the monitoring
 * component's own config and args. One job runs end to end through the orchestrator's Service name,
 * Prometheus scrapes everything the dashboard shows, the monitor's alert reaches Alertmanager and
 * resolves, and SIGTERM drains within the grace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExecutableManifestsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Real PDFs made by the project's generator (PDFBox): a short one and one long enough to be in
   * flight at SIGTERM.
   */
  static final byte[] SHORT_PDF = generated(4);

  static final byte[] LONG_PDF = generated(300);
  static final String ORCHESTRATOR = "orchestrator.docmesh.svc.cluster.local";

  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  List<ObjectNode> objects;
  LocalCluster cluster;
  ManagedChannel orchestrator;
  Pod prometheus;
  Pod alertmanager;
  final Map<String, Duration> startup = new LinkedHashMap<>();
  OtlpSink otlp;

  @BeforeAll
  void startTheOverlay() throws Exception {
    objects = Manifests.render(Manifests.k8s("overlays/minikube"));
    Path dir = Manifests.root().resolve("deploy-tests/target/local-cluster");
    deleteTree(dir);
    cluster = new LocalCluster(objects, dir);
    cluster.plan();
    for (String s : MeshFacts.SERVICES) {
      Pod pod = cluster.pods.get(s);
      cluster.prepare(pod);
    }
    otlp = OtlpSink.start(cluster.pods.get("jaeger"), 4318);
    // the monitoring neighbours first, so the monitor's first notification finds Alertmanager
    if (Neighbours.find("prometheus-alertmanager", "alertmanager").isPresent()) {
      alertmanager =
          startNeighbour(
              "alertmanager", Neighbours.find("prometheus-alertmanager", "alertmanager").get());
    }
    for (String s : MeshFacts.SERVICES) {
      cluster.start(cluster.pods.get(s)); // all at once, as a rollout does
    }
    for (String s : MeshFacts.SERVICES) {
      startup.put(s, LocalCluster.awaitStarted(cluster.pods.get(s)));
    }
    if (Neighbours.find("prometheus").isPresent()) {
      prometheus = startNeighbour("prometheus", Neighbours.find("prometheus").get());
    }
    String target = cluster.address(ORCHESTRATOR, 50051);
    orchestrator = ManagedChannelBuilder.forTarget(target).usePlaintext().build();
  }

  @AfterAll
  void stop() {
    if (orchestrator != null) {
      orchestrator.shutdownNow();
    }
    if (cluster != null) {
      cluster.close();
    }
    if (otlp != null) {
      otlp.close();
    }
  }

  // ----------------------------------------------------------------- readiness

  @Test
  @Order(1)
  void everyPodPassesItsProbesAsTheKubeletRunsThem() {
    for (String s : MeshFacts.SERVICES) {
      Pod pod = cluster.pods.get(s);
      for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
        assertThat(LocalCluster.grpcProbe(pod, pod.spec.probe(probe)))
            .as(s + " " + probe)
            .isEqualTo(ServingStatus.SERVING);
      }
      // the probe is not vacuous: a name the server does not register is not SERVING
      ObjectNode wrong = pod.spec.probe("readinessProbe").deepCopy();
      ((ObjectNode) wrong.get("grpc")).put("service", "docmesh.nosuch.v1.Service");
      assertThat(LocalCluster.grpcProbe(pod, wrong)).isNotEqualTo(ServingStatus.SERVING);
      long allowed =
          pod.spec.probe("startupProbe").path("periodSeconds").asLong()
              * pod.spec.probe("startupProbe").path("failureThreshold").asLong();
      assertThat(startup.get(s))
          .as(s + " started within the startupProbe's budget")
          .isLessThan(Duration.ofSeconds(allowed));
    }
  }

  @Test
  @Order(2)
  void theEnvironmentIsTheRenderedOneWithOnlyPortsAndMountsMapped() {
    for (String s : MeshFacts.SERVICES) {
      Pod pod = cluster.pods.get(s);
      Map<String, String> rendered = pod.spec.environment(pod.name, pod.ip);
      assertThat(pod.env.keySet()).as(s).containsExactlyElementsOf(rendered.keySet());
      for (Map.Entry<String, String> e : rendered.entrySet()) {
        String local = pod.env.get(e.getKey());
        String normalised =
            local.replaceAll(":\\d+", ":P").replace(pod.dir.resolve("volumes").toString(), "");
        String expected = e.getValue().replaceAll(":\\d+", ":P");
        if (!e.getKey().endsWith("_PORT")) {
          assertThat(normalised).as(s + " " + e.getKey()).isEqualTo(expected);
        }
      }
    }
  }

  // ----------------------------------------------------------------- a job end to end

  @Test
  @Order(3)
  void aJobRunsEndToEndThroughTheOrchestratorServiceName() throws Exception {
    Job job = submit("report-4-pages.pdf", SHORT_PDF);
    Iterator<WatchJobResponse> events =
        OrchestratorServiceGrpc.newBlockingStub(orchestrator)
            .withDeadlineAfter(120, TimeUnit.SECONDS)
            .watchJob(WatchJobRequest.newBuilder().setJobId(job.getId()).build());
    JobState last = JobState.JOB_STATE_UNSPECIFIED;
    while (events.hasNext()) {
      last = events.next().getEvent().getJobState();
    }
    assertThat(last).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    var stub =
        OrchestratorServiceGrpc.newBlockingStub(orchestrator)
            .withDeadlineAfter(30, TimeUnit.SECONDS);
    assertThat(
            stub.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build())
                .getJob()
                .getState())
        .isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    assertThat(
            stub.getJobResult(GetJobResultRequest.newBuilder().setJobId(job.getId()).build())
                .getResult()
                .toString())
        .isNotEmpty();
    // the worker pod polled under its pod name (DOCMESH_INSTANCE_ID from metadata.name)
    assertThat(stub.listWorkers(ListWorkersRequest.getDefaultInstance()).getWorkersList())
        .extracting(w -> w.getWorkerId())
        .containsExactly(cluster.pods.get("worker").name);
  }

  @Test
  @Order(4)
  void everyServiceExportsItsSpansToTheTracingComponentsCollector() {
    // OTEL_* from the tracing component reach the SDK: spans arrive at jaeger's OTLP/HTTP port
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(otlp.services())
                    .contains("docmesh-orchestrator", "docmesh-processor", "docmesh-worker"));
  }

  @Test
  @Order(4)
  void theMonitorFindsEveryPodThroughTheHeadlessServices() {
    ManagedChannel ch =
        ManagedChannelBuilder.forTarget(cluster.address("monitor.docmesh.svc.cluster.local", 50054))
            .usePlaintext()
            .build();
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                SystemStatus status =
                    MonitorServiceGrpc.newBlockingStub(ch)
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .getSystemStatus(GetSystemStatusRequest.getDefaultInstance())
                        .getStatus();
                assertThat(status.getHealth()).isEqualTo(HealthState.HEALTH_STATE_SERVING);
                Map<String, String> addresses = new LinkedHashMap<>();
                status
                    .getServicesList()
                    .forEach(
                        s ->
                            s.getInstancesList()
                                .forEach(i -> addresses.put(s.getName(), i.getAddress())));
                for (String s : MeshFacts.SERVICES) {
                  Pod pod = cluster.pods.get(s);
                  assertThat(addresses.get(s))
                      .as(s)
                      .isEqualTo(pod.ip + ":" + pod.local(pod.spec.port("grpc").orElseThrow()));
                }
              });
    } finally {
      ch.shutdownNow();
    }
  }

  // ----------------------------------------------------------------- Prometheus and the dashboard

  @Test
  @Order(5)
  void prometheusScrapesEveryTargetAndEveryDashboardQueryReturnsData() throws Exception {
    Neighbours.need("prometheus");
    assertThat(prometheus).isNotNull();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              JsonNode targets = get(prometheus, "/api/v1/targets").at("/data/activeTargets");
              List<String> up = new ArrayList<>();
              targets.forEach(
                  t ->
                      up.add(
                          t.path("labels").path("job").asText() + "=" + t.path("health").asText()));
              assertThat(up)
                  .containsExactlyInAnyOrder(
                      "orchestrator=up", "processor=up", "worker=up", "monitor=up");
            });
    JsonNode rules = get(prometheus, "/api/v1/rules").at("/data/groups/0/rules");
    assertThat(rules.size()).as("docmesh's alert rules loaded").isGreaterThanOrEqualTo(9);
    rules.forEach(
        r -> assertThat(r.path("health").asText()).as(r.path("name").asText()).isEqualTo("ok"));

    List<String> queries = new ArrayList<>();
    JsonNode dashboard =
        JSON.readTree(
            Manifests.get(objects, "ConfigMap", configMapName("grafana-dashboard-docmesh"))
                .at("/data")
                .elements()
                .next()
                .asText());
    dashboard
        .path("panels")
        .forEach(p -> p.path("targets").forEach(t -> queries.add(t.path("expr").asText())));
    assertThat(queries).hasSizeGreaterThan(10);

    AtomicBoolean loading = new AtomicBoolean(true);
    Thread load =
        new Thread(
            () -> {
              while (loading.get()) {
                try {
                  // a little load: one job at a time, each watched to its end
                  Job j = submit("report-4-pages.pdf", SHORT_PDF);
                  OrchestratorServiceGrpc.newBlockingStub(orchestrator)
                      .withDeadlineAfter(60, TimeUnit.SECONDS)
                      .watchJob(WatchJobRequest.newBuilder().setJobId(j.getId()).build())
                      .forEachRemaining(e -> {});
                } catch (RuntimeException e) {
                  return;
                }
              }
            },
            "load");
    load.setDaemon(true);
    load.start();
    try {
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofSeconds(2))
          .untilAsserted(
              () -> {
                List<String> empty = new ArrayList<>();
                for (String q : queries) {
                  JsonNode result =
                      get(
                          prometheus,
                          "/api/v1/query?query=" + URLEncoder.encode(q, StandardCharsets.UTF_8));
                  assertThat(result.path("status").asText()).as(q).isEqualTo("success");
                  if (result.at("/data/result").isEmpty()) {
                    empty.add(q);
                  }
                }
                assertThat(empty).as("dashboard queries without data").isEmpty();
              });
    } finally {
      loading.set(false);
      load.join(10_000);
    }
  }

  // ----------------------------------------------------------------- Alertmanager

  @Test
  @Order(6)
  void theMonitorsAlertReachesAlertmanagerAndResolves() throws Exception {
    Neighbours.need("prometheus-alertmanager", "alertmanager");
    assertThat(alertmanager).isNotNull();
    Pod processor = cluster.pods.get("processor");
    Duration drain = sigterm(processor);
    assertThat(drain).as("processor drain").isLessThan(drainBudget(processor));

    // both alerting paths: the monitor's notifier, and Prometheus' rule (when Prometheus runs)
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              assertThat(monitorAlerts("InstanceDown", "processor"))
                  .as("the monitor's alert")
                  .isNotEmpty();
              if (prometheus != null) {
                assertThat(prometheusAlerts("InstanceDown", "processor"))
                    .as("Prometheus' alert")
                    .isNotEmpty();
              }
            });

    cluster.start(processor); // the kubelet restarts it: same pod address and ports
    LocalCluster.awaitStarted(processor);
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              assertThat(monitorAlerts("InstanceDown", "processor"))
                  .as("the monitor's alert resolved")
                  .isEmpty();
              assertThat(prometheusAlerts("InstanceDown", "processor"))
                  .as("Prometheus' alert resolved")
                  .isEmpty();
            });
  }

  /** Active alerts in Alertmanager that came from the monitor (labelled service=, no job=). */
  private List<JsonNode> monitorAlerts(String alertname, String service) throws Exception {
    return alerts(
        alertname, labels -> labels.path("service").asText().equals(service) && !labels.has("job"));
  }

  /** Active alerts in Alertmanager that came from Prometheus' docmesh rules (labelled job=). */
  private List<JsonNode> prometheusAlerts(String alertname, String job) throws Exception {
    return alerts(alertname, labels -> labels.path("job").asText().equals(job));
  }

  private List<JsonNode> alerts(String alertname, java.util.function.Predicate<JsonNode> labels)
      throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode a : get(alertmanager, "/api/v2/alerts?active=true")) {
      if (a.path("labels").path("alertname").asText().equals(alertname)
          && labels.test(a.path("labels"))) {
        out.add(a);
      }
    }
    return out;
  }

  // ----------------------------------------------------------------- memory and shutdown

  @Test
  @Order(7)
  void everyPodStayedUnderItsMemoryLimit() throws IOException {
    for (String s : MeshFacts.SERVICES) {
      Pod pod = cluster.pods.get(s);
      long limit =
          CrossCheckTest.bytes(pod.spec.container().at("/resources/limits/memory").asText());
      long peak = LocalCluster.peakRss(pod);
      System.out.printf("%s peak RSS %d MiB of a %d MiB limit%n", s, peak >> 20, limit >> 20);
      assertThat(peak).as(s + " peak RSS").isLessThan(limit * 9 / 10);
    }
  }

  @Test
  @Order(8)
  void sigtermDrainsEveryPodWithinItsGracePeriod() throws Exception {
    // a task in flight when the worker is told to stop
    Job job = submit("report-300-pages.pdf", LONG_PDF);
    var stub = OrchestratorServiceGrpc.newBlockingStub(orchestrator);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                stub.withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build())
                    .getJob()
                    .getState(),
            st -> st != JobState.JOB_STATE_QUEUED);
    for (String s : List.of("worker", "monitor", "processor", "orchestrator")) {
      Pod pod = cluster.pods.get(s);
      Duration took = sigterm(pod);
      System.out.printf("%s drained in %d ms (budget %s)%n", s, took.toMillis(), drainBudget(pod));
      assertThat(took).as(s + " drain").isLessThan(drainBudget(pod));
      // the JSON log line of MeshServer's end of shutdown
      assertThat(Files.readString(pod.log()))
          .as(s + " log")
          .contains("\"message\":\"docmesh {} stopped\",\"arguments\": [\"" + s + "\"]");
    }
  }

  /** terminationGracePeriodSeconds less the preStop sleep the kubelet runs first. */
  private static Duration drainBudget(Pod pod) {
    return Duration.ofSeconds(pod.spec.terminationGraceSeconds() - pod.spec.preStopSleepSeconds());
  }

  private static Duration sigterm(Pod pod) throws InterruptedException {
    long start = System.nanoTime();
    pod.process.destroy(); // SIGTERM
    boolean exited = pod.process.waitFor(pod.spec.terminationGraceSeconds() + 30, TimeUnit.SECONDS);
    assertThat(exited).as(pod.name + " exits after SIGTERM").isTrue();
    return Duration.ofNanos(System.nanoTime() - start);
  }

  // ----------------------------------------------------------------- helpers

  private Job submit(String file, byte[] pdf) {
    return OrchestratorServiceGrpc.newBlockingStub(orchestrator)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .submitJob(
            SubmitJobRequest.newBuilder()
                .setFilename(file)
                .setContent(ByteString.copyFrom(pdf))
                .build())
        .getJob();
  }

  private static byte[] generated(int pages) {
    return new dev.docmesh.docgen.DocumentGenerator()
        .generate(dev.docmesh.docgen.DocumentSpec.of(pages))
        .pdf();
  }

  private String configMapName(String generated) {
    return Manifests.ofKind(objects, "ConfigMap").stream()
        .map(Manifests::name)
        .filter(n -> n.startsWith(generated + "-"))
        .findFirst()
        .orElseThrow();
  }

  private JsonNode get(Pod pod, String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://"
                            + pod.ip
                            + ":"
                            + pod.local(pod.spec.port("http").orElseThrow())
                            + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  /**
   * Runs a monitoring workload's container from the Debian binary: its args with paths and the
   * listen address mapped, its ConfigMap volumes as files. Prometheus' dns_sd targets become static
   * targets (a Go binary does not read the JDK's hosts file).
   */
  private Pod startNeighbour(String workload, Path binary) throws Exception {
    Pod pod = cluster.pods.get(workload);
    Map<String, String> mounts = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> m : pod.spec.mounts().entrySet()) {
      Path local = pod.dir.resolve("volumes" + m.getKey());
      Files.createDirectories(local);
      mounts.put(m.getKey(), local.toString());
      String cm = m.getValue().at("/configMap/name").asText(null);
      if (cm != null) {
        for (Iterator<Map.Entry<String, JsonNode>> it =
                Manifests.get(objects, "ConfigMap", cm).path("data").fields();
            it.hasNext(); ) {
          Map.Entry<String, JsonNode> f = it.next();
          Files.writeString(local.resolve(f.getKey()), f.getValue().asText());
        }
      }
    }
    if (workload.equals("prometheus")) {
      Path config = Path.of(mounts.get("/etc/prometheus/config"), "prometheus.yml");
      Files.writeString(config, localPrometheusConfig(Files.readString(config), mounts));
      ProcessBuilder check =
          new ProcessBuilder(
                  Neighbours.need("promtool").toString(), "check", "config", config.toString())
              .redirectErrorStream(true);
      Process p = check.start();
      String out = new String(p.getInputStream().readAllBytes());
      assertThat(p.waitFor()).as("promtool check config (local rewrite): " + out).isZero();
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(binary.toString());
    for (JsonNode a : pod.spec.container().path("args")) {
      String arg = a.asText();
      if (arg.startsWith("--web.listen-address=")) {
        int port = Integer.parseInt(arg.substring(arg.lastIndexOf(':') + 1));
        arg = "--web.listen-address=" + pod.ip + ":" + pod.local(port);
      }
      for (Map.Entry<String, String> m : mounts.entrySet()) {
        arg = arg.replace("=" + m.getKey(), "=" + m.getValue());
      }
      cmd.add(arg);
    }
    pod.command = cmd;
    pod.env = Map.of();
    cluster.start(pod);
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(
            () -> {
              if (!pod.process.isAlive()) {
                throw new AssertionError(workload + " exited: " + LocalCluster.tail(pod));
              }
              HttpResponse<Void> r =
                  http.send(
                      HttpRequest.newBuilder(
                              URI.create(
                                  "http://"
                                      + pod.ip
                                      + ":"
                                      + pod.local(pod.spec.port("http").orElseThrow())
                                      + pod.spec
                                          .probe("readinessProbe")
                                          .at("/httpGet/path")
                                          .asText()))
                          .build(),
                      HttpResponse.BodyHandlers.discarding());
              return r.statusCode() == 200;
            });
    return pod;
  }

  private String localPrometheusConfig(String yaml, Map<String, String> mounts) throws IOException {
    ObjectNode cfg = (ObjectNode) Manifests.YAML.readTree(yaml);
    ObjectNode global = (ObjectNode) cfg.get("global");
    global
        .put("scrape_interval", "1s")
        .put("scrape_timeout", "1s")
        .put("evaluation_interval", "1s");
    ArrayNode rules = Manifests.YAML.createArrayNode();
    cfg.path("rule_files")
        .forEach(
            r -> {
              String path = r.asText();
              for (Map.Entry<String, String> m : mounts.entrySet()) {
                path =
                    path.startsWith(m.getKey() + "/")
                        ? m.getValue() + path.substring(m.getKey().length())
                        : path;
              }
              rules.add(path);
            });
    cfg.set("rule_files", rules);
    for (JsonNode am : cfg.at("/alerting/alertmanagers")) {
      for (JsonNode sc : am.path("static_configs")) {
        ArrayNode targets = Manifests.YAML.createArrayNode();
        sc.path("targets").forEach(t -> targets.add(localTarget(t.asText())));
        ((ObjectNode) sc).set("targets", targets);
      }
    }
    AtomicInteger jobs = new AtomicInteger();
    for (JsonNode job : cfg.path("scrape_configs")) {
      ArrayNode targets = Manifests.YAML.createArrayNode();
      for (JsonNode sd : job.path("dns_sd_configs")) {
        for (JsonNode name : sd.path("names")) {
          targets.add(localTarget(name.asText() + ":" + sd.path("port").asInt()));
        }
      }
      ObjectNode j = (ObjectNode) job;
      j.remove("dns_sd_configs");
      j.putArray("static_configs").addObject().set("targets", targets);
      jobs.incrementAndGet();
    }
    assertThat(jobs.get()).isEqualTo(4);
    return Manifests.YAML.writeValueAsString(cfg);
  }

  private String localTarget(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return cluster.address(
        hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }

  private static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (var s = Files.walk(dir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
