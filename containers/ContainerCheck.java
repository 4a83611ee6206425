import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.google.protobuf.ByteString;
import dev.docmesh.proto.monitor.v1.GetSystemStatusRequest;
import dev.docmesh.proto.monitor.v1.HealthState;
import dev.docmesh.proto.monitor.v1.InstanceStatus;
import dev.docmesh.proto.monitor.v1.MonitorServiceGrpc;
import dev.docmesh.proto.monitor.v1.ServiceStatus;
import dev.docmesh.proto.monitor.v1.SystemStatus;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobResultRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobResult;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.zip.GZIPInputStream;
import java.net.URI;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the docmesh images the way the rendered Kubernetes manifests declare them, with podman,
 * and checks what a kubelet would: each Deployment/StatefulSet's container with exactly its
 * securityContext, env (ConfigMaps, fieldRefs), ports, volumes (emptyDir and PVC at the same
 * paths), resource limits, command/args; its gRPC startup/readiness/liveness probes on the
 * declared port and service name; one corpus PDF through pdf-standard to SUCCEEDED (spread over
 * the processor pods); the monitor discovering every pod; preStop + SIGTERM within
 * terminationGracePeriodSeconds; spans reaching the configured OTLP endpoint. Plus the image facts
 * (user, ports, JVM flags, size, no build tools, nothing added to the base but the jar and the
 * user) and a control run showing that a write outside the declared writable paths stops a
 * service.
 *
 * <p>Run (CI: .ci/images.sh): {@code java -cp cli/target/cli.jar containers/ContainerCheck.java
 * --manifests RENDERED.yaml --base localhost/jre17:bookworm [--corpus PDF_DIR]
 * [--replicas processor=2]}. Each pod gets its own address on a private podman network where
 * every Service name that selects it (short and FQDN) resolves to it, so the manifests' own ports
 * and DNS names are used unchanged; Services of images not run here (Jaeger, Alertmanager) that
 * the docmesh env names by URL resolve to HTTP stand-ins on the network's gateway.
 */
public class ContainerCheck {
  static final String NETWORK_DOMAIN = "svc.cluster.local";
  static final List<String> START_ORDER = List.of("orchestrator", "processor", "worker", "monitor");
  /** Log lines that mean a service tried to write where it may not, or needed privileges. */
  static final Pattern FORBIDDEN_LOG =
      Pattern.compile("Read-only file system|AccessDeniedException|Permission denied|Operation not permitted|OutOfMemoryError");
  /** What a service image may add to its base: its jar, its user, its data mount point. */
  static final Pattern ALLOWED_IMAGE_CHANGE =
      Pattern.compile("/app|/app/[a-z]+-svc\\.jar|/data|/etc|/etc/(passwd|group|shadow|gshadow|subuid|subgid)-?|/var/log/(lastlog|faillog)");

  static final Pattern CLEAN = Pattern.compile("clean\\W+true");
  static final ObjectMapper JSON = new ObjectMapper();

  final String runId = "dmcheck" + ProcessHandle.current().pid();
  final String network = runId;
  final List<String> failures = new ArrayList<>();
  final List<String> report = new ArrayList<>();
  final List<String> cleanupContainers = new ArrayList<>();
  final List<String> cleanupVolumes = new ArrayList<>();
  Path scratch;

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    if (!opts.containsKey("manifests")) {
      System.err.println("usage: ContainerCheck --manifests RENDERED.yaml [--base IMAGE] [--corpus DIR] [--pdf FILE]"
          + " [--replicas processor=2,...]");
      System.exit(2);
    }
    ContainerCheck check = new ContainerCheck();
    check.removeLeftovers();
    Thread cleanup = new Thread(check::cleanup);
    Runtime.getRuntime().addShutdownHook(cleanup); // Ctrl-C leaves nothing behind either
    int code;
    try {
      code = check.run(opts);
    } catch (IllegalArgumentException e) {
      System.out.println("containers: cannot run the manifests as they are: " + e.getMessage());
      code = 1;
    }
    System.exit(code);
  }

  int run(Map<String, String> opts) throws Exception {
    scratch = Files.createTempDirectory(runId);
    Manifests manifests = Manifests.read(Path.of(opts.get("manifests")));
    // --replicas overrides the manifests' counts (as kubectl scale would), e.g. two processors
    // to see workers balance over the headless Service's addresses.
    Map<String, Integer> replicas = new LinkedHashMap<>();
    for (String kv : opts.getOrDefault("replicas", "").split(",")) {
      if (kv.contains("=")) replicas.put(kv.substring(0, kv.indexOf('=')), Integer.parseInt(kv.substring(kv.indexOf('=') + 1)));
    }
    List<Pod> pods = new ArrayList<>();
    for (Workload w : manifests.workloads) {
      int n = replicas.getOrDefault(w.name(), w.replicas());
      for (int i = 0; i < n; i++) pods.add(Pod.plan(w, manifests, i));
    }
    if (pods.isEmpty()) return fail("no Deployment or StatefulSet with a docmesh/ image in the manifests");
    pods.sort((a, b) -> Integer.compare(order(a.workload.name()), order(b.workload.name())));

    String base = opts.get("base");
    Set<String> images = new LinkedHashSet<>();
    for (Pod p : pods) if (images.add(p.image)) checkImage(p, base);

    sh("podman", "network", "create", network);
    String subnet = sh("podman", "network", "inspect", network, "--format", "{{range .Subnets}}{{.Subnet}}{{end}}").trim();
    if (!subnet.endsWith(".0/24")) throw new IllegalStateException("podman gave network " + network + " the subnet " + subnet + ", not a /24");
    String prefix = subnet.substring(0, subnet.lastIndexOf('.') + 1);
    int host = 10;
    for (Pod p : pods) p.ip = prefix + host++;
    String gateway = sh("podman", "network", "inspect", network, "--format", "{{range .Subnets}}{{.Gateway}}{{end}}").trim();
    standIns(pods, manifests, gateway);

    Pod orchestrator = pods.stream().filter(p -> p.workload.name().equals("orchestrator")).findFirst().orElse(null);
    if (orchestrator != null) controlReadOnlyRoot(orchestrator);

    for (Pod p : pods) {
      if (!start(p)) return finish();
    }
    for (Pod p : pods) checkRuntime(p);

    if (orchestrator != null) {
      // --corpus DIR (a directory of PDFs with expected.json), else the project's corpus locator
      // (dev.docmesh.docgen.Corpus: $DOCMESH_CORPUS_DIR, else ../shared/corpus next to the repository)
      Path corpus = opts.containsKey("corpus") ? Path.of(opts.get("corpus")) : dev.docmesh.docgen.Corpus.pdfDir();
      endToEnd(orchestrator, corpus, opts.getOrDefault("pdf", "pdflatex-4-pages.pdf"));
      processorSpread(pods);
    }
    monitorSeesEveryPod(pods);
    for (Pod p : pods) {
      String usage = sh("podman", "stats", "--no-stream", "--format", "{{.MemUsage}}", p.container(runId)).trim();
      p.runtimeFacts += ", memory " + usage.replace(" ", "");
    }
    stopAll(pods);
    for (Pod p : pods) checkLogs(p);
    checkTraces(pods);
    return finish();
  }

  // ---------------------------------------------------------------- stand-ins

  /** An HTTP endpoint in place of a Service whose pods are not docmesh images (Jaeger's OTLP, Alertmanager). */
  static final class StandIn {
    final String service;
    final int port;
    final HttpServer server;
    final Set<String> spanSources = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();

    StandIn(String service, String address, int port) throws IOException {
      this.service = service;
      this.port = port;
      server = HttpServer.create(new InetSocketAddress(address, port), 0);
      server.createContext("/", exchange -> {
        try (InputStream in = exchange.getRequestBody()) {
          byte[] body = in.readAllBytes();
          if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
            body = new GZIPInputStream(new java.io.ByteArrayInputStream(body)).readAllBytes();
          }
          requests.incrementAndGet();
          if (exchange.getRequestURI().getPath().endsWith("/v1/traces")) spanSources.addAll(serviceNames(body));
        }
        // an empty ExportTraceServiceResponse (or an empty 200 for anything else)
        exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
        exchange.sendResponseHeaders(200, -1);
        exchange.close();
      });
      server.start();
    }

    /** service.name values of the OTLP resources in a protobuf body (short strings: one-byte lengths). */
    static Set<String> serviceNames(byte[] body) {
      String s = new String(body, StandardCharsets.ISO_8859_1);
      Set<String> names = new LinkedHashSet<>();
      Matcher m = Pattern.compile("service\\.name\\x12[\\x00-\\x7f]\\x0a([\\x00-\\x7f])").matcher(s);
      while (m.find()) names.add(s.substring(m.end(), Math.min(s.length(), m.end() + m.group(1).charAt(0))));
      return names;
    }
  }

  final List<StandIn> standIns = new ArrayList<>();

  /**
   * URLs in the docmesh pods' env that name a Service of non-docmesh pods (their images cannot be
   * pulled here) get an HTTP stand-in on the network's gateway, and the name resolves to it.
   */
  void standIns(List<Pod> pods, Manifests manifests, String gateway) {
    Set<String> docmeshServices = new LinkedHashSet<>();
    for (Pod p : pods) docmeshServices.addAll(p.serviceNames);
    Pattern url = Pattern.compile("https?://([A-Za-z0-9.-]+):(\\d+)");
    Map<String, Integer> wanted = new LinkedHashMap<>();
    for (Pod p : pods) {
      for (String v : p.env.values()) {
        Matcher m = url.matcher(v);
        while (m.find()) {
          String svc = m.group(1).split("\\.")[0];
          boolean known = manifests.services.stream().anyMatch(s -> s.name().equals(svc));
          if (known && !docmeshServices.contains(svc)) wanted.put(svc + ":" + m.group(2), Integer.parseInt(m.group(2)));
        }
      }
    }
    for (var e : wanted.entrySet()) {
      String svc = e.getKey().substring(0, e.getKey().indexOf(':'));
      Set<String> names = new LinkedHashSet<>();
      Pod.addAliases(names, svc, pods.get(0).workload.namespace());
      for (Pod p : pods) for (String n : names) p.extraHosts.add(n + ":" + gateway);
      pendingStandIns.put(e.getKey(), e.getValue());
    }
    this.gateway = gateway;
  }

  final Map<String, Integer> pendingStandIns = new LinkedHashMap<>();
  String gateway;

  /** The gateway address exists once the network's first container runs: listen then. */
  void openStandIns() {
    for (var it = pendingStandIns.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      it.remove();
      try {
        standIns.add(new StandIn(e.getKey().substring(0, e.getKey().indexOf(':')), gateway, e.getValue()));
      } catch (IOException ex) {
        report.add("stand-in for " + e.getKey() + ": cannot listen on " + gateway + ":" + e.getValue() + " (" + ex.getMessage() + "); calls to it fail");
      }
    }
  }

  /** Every docmesh service exported spans to the tracing endpoint the manifests configure. */
  void checkTraces(List<Pod> pods) {
    for (StandIn s : standIns) {
      s.server.stop(0);
      if (s.port != 4318) {
        report.add("stand-in " + s.service + ":" + s.port + ": " + s.requests + " request(s)");
        continue;
      }
      Set<String> missing = new java.util.TreeSet<>();
      for (Pod p : pods) if (!s.spanSources.contains("docmesh-" + p.workload.name())) missing.add("docmesh-" + p.workload.name());
      report.add("stand-in " + s.service + ":" + s.port + " (OTLP/HTTP): " + s.requests + " export(s), spans from " + new java.util.TreeSet<>(s.spanSources));
      if (!missing.isEmpty()) fail("tracing: no spans reached " + s.service + ":" + s.port + " from " + missing);
    }
  }

  static int order(String name) {
    int i = START_ORDER.indexOf(name);
    return i < 0 ? START_ORDER.size() : i;
  }

  int finish() {
    System.out.println();
    report.forEach(System.out::println);
    if (failures.isEmpty()) {
      System.out.println("containers: OK");
      return 0;
    }
    System.out.println("containers: " + failures.size() + " failure(s):");
    failures.forEach(f -> System.out.println("  FAIL " + f));
    return 1;
  }

  int fail(String message) {
    failures.add(message);
    System.out.println("FAIL " + message);
    return 1;
  }

  // ---------------------------------------------------------------- image facts

  void checkImage(Pod p, String base) throws Exception {
    JsonNode img = new ObjectMapper().readTree(sh("podman", "image", "inspect", p.image)).get(0);
    JsonNode config = img.path("Config");
    String user = config.path("User").asText("");
    String uid = user.contains(":") ? user.substring(0, user.indexOf(':')) : user;
    if (!uid.matches("\\d+") || uid.equals("0")) {
      fail(p.image + ": USER '" + user + "' is not a numeric non-root user (runAsNonRoot cannot verify it)");
    } else if (p.runAsUser != null && !uid.equals(p.runAsUser.toString())) {
      fail(p.image + ": USER " + uid + " differs from the manifest's runAsUser " + p.runAsUser);
    }
    Set<String> exposed = new LinkedHashSet<>();
    config.path("ExposedPorts").properties().forEach(e -> exposed.add(e.getKey()));
    for (int port : p.ports.values()) {
      if (!exposed.contains(port + "/tcp")) fail(p.image + ": containerPort " + port + " is not EXPOSEd (" + exposed + ")");
    }
    String entry = config.path("Entrypoint").toString();
    for (String flag : List.of("-XX:MaxRAMPercentage", "-XX:+ExitOnOutOfMemoryError", "-XX:-UsePerfData")) {
      if (!entry.contains(flag)) fail(p.image + ": entrypoint lacks " + flag);
    }
    long size = img.path("Size").asLong();
    String line = String.format(Locale.ROOT, "image %-26s %4d MB", p.image, size / 1_000_000);
    if (base != null) {
      JsonNode b = new ObjectMapper().readTree(sh("podman", "image", "inspect", base)).get(0);
      line += String.format(Locale.ROOT, " (base %d MB + %d MB)", b.path("Size").asLong() / 1_000_000,
          (size - b.path("Size").asLong()) / 1_000_000);
      // Everything the image adds to its base: only the jar, the user and the data mount point.
      for (String change : sh("podman", "image", "diff", p.image, base).split("\n")) {
        if (change.isBlank()) continue;
        String path = change.substring(2).trim();
        if (!ALLOWED_IMAGE_CHANGE.matcher(path).matches()) {
          fail(p.image + ": adds or changes " + path + " beyond its base " + base);
        }
      }
    }
    report.add(line + ", USER " + user + ", EXPOSE " + String.join(" ", exposed) + "; " + toolsInside(p.image));
  }

  static final List<String> BUILD_TOOLS = List.of("javac", "jar", "jshell", "gcc", "cc", "c++", "make", "mvn", "gradle", "git", "curl", "wget", "pip", "pip3");
  static final List<String> SHELLS = List.of("sh", "dash", "bash", "zsh", "ash", "busybox");

  /** Build tools fail the check; shells are reported (they come with the base). */
  String toolsInside(String image) throws Exception {
    Path root = Path.of(sh("podman", "image", "mount", image).trim());
    try {
      List<Path> dirs = new ArrayList<>(List.of(root.resolve("usr/bin"), root.resolve("usr/local/bin"), root.resolve("opt/java/openjdk/bin")));
      if (Files.isDirectory(root.resolve("usr/lib/jvm"))) {
        try (var jvms = Files.list(root.resolve("usr/lib/jvm"))) {
          jvms.forEach(j -> dirs.add(j.resolve("bin")));
        }
      }
      Set<String> tools = new java.util.TreeSet<>();
      Set<String> shells = new java.util.TreeSet<>();
      for (Path d : dirs) {
        for (String tool : BUILD_TOOLS) if (Files.exists(d.resolve(tool), java.nio.file.LinkOption.NOFOLLOW_LINKS)) tools.add(tool);
        for (String shell : SHELLS) if (Files.exists(d.resolve(shell), java.nio.file.LinkOption.NOFOLLOW_LINKS)) shells.add(shell);
      }
      if (!tools.isEmpty()) fail(image + ": build tools inside: " + tools);
      return "shells (from the base) " + shells + ", build tools " + tools;
    } finally {
      exec(List.of("podman", "image", "unmount", image));
    }
  }

  // ---------------------------------------------------------------- running

  /** A service whose writable volume is missing must not start: the root filesystem is read-only. */
  void controlReadOnlyRoot(Pod orchestrator) throws Exception {
    if (orchestrator.pvcMounts.isEmpty() || !orchestrator.readOnlyRoot) return;
    String name = runId + "-control";
    List<String> cmd = orchestrator.runCommand(name, network, scratch, this, false);
    long t0 = System.nanoTime();
    sh(cmd.toArray(String[]::new));
    cleanupContainers.add(name);
    openStandIns();
    Duration budget = Duration.ofSeconds(Math.max(60, orchestrator.startupBudgetSeconds()));
    String outcome = null;
    while (Duration.ofNanos(System.nanoTime() - t0).compareTo(budget) < 0) {
      if (!running(name)) {
        outcome = "exited " + exitCode(name);
        break;
      }
      if (serving(orchestrator.ip, orchestrator.startupPort(), orchestrator.startupService(), 1)) {
        outcome = "SERVING";
        break;
      }
      Thread.sleep(200);
    }
    String logs = logs(name);
    if ("SERVING".equals(outcome) || outcome == null) {
      fail("control: the orchestrator without its volume " + orchestrator.pvcMounts.values()
          + " reached " + (outcome == null ? "no end" : outcome) + ": its store landed on a writable root filesystem");
    } else {
      String why = logs.lines().map(ContainerCheck::readable).filter(l -> l.startsWith("ERROR")).findFirst().orElse("(no ERROR line)");
      report.add("control: orchestrator without " + orchestrator.pvcMounts.values() + " on the read-only root: " + outcome + ": " + why);
    }
    sh("podman", "rm", "-f", name);
    cleanupContainers.remove(name);
  }

  boolean start(Pod p) throws Exception {
    List<String> cmd = p.runCommand(p.container(runId), network, scratch, this, true);
    long t0 = System.nanoTime();
    Result r = exec(cmd);
    if (r.code != 0) return fail(p.name + ": podman run failed: " + r.err.trim()) == 0;
    cleanupContainers.add(p.container(runId));
    openStandIns();
    // The startup probe's budget, as the kubelet allows it; polled at 100 ms to time it closely.
    Duration budget = Duration.ofSeconds(p.startupBudgetSeconds());
    while (true) {
      Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
      if (!running(p.container(runId))) {
        fail(p.name + ": exited " + exitCode(p.container(runId)) + " before SERVING:\n" + tail(logs(p.container(runId)), 20));
        return false;
      }
      if (serving(p.ip, p.startupPort(), p.startupService(), p.startupTimeoutSeconds())) {
        p.timeToServing = elapsed;
        break;
      }
      if (elapsed.compareTo(budget) > 0) {
        fail(p.name + ": not SERVING within the startup probe's " + budget.toSeconds() + " s:\n" + tail(logs(p.container(runId)), 20));
        return false;
      }
      Thread.sleep(100);
    }
    // Readiness and liveness on their own declared port and service, failing as the kubelet
    // does: only after failureThreshold misses in a row, periodSeconds apart.
    for (Probe probe : List.of(p.readiness, p.liveness)) {
      if (probe == null) continue;
      List<String> misses = new ArrayList<>();
      for (int i = 0; i < probe.failureThreshold; i++) {
        if (i > 0) Thread.sleep(probe.periodSeconds * 1000L);
        String answer = healthAnswer(p.ip, probe.port, probe.service, probe.timeoutSeconds);
        if (answer.equals("SERVING")) break;
        misses.add(answer);
      }
      if (misses.size() == probe.failureThreshold) {
        fail(p.name + ": " + probe.kind + " probe (grpc " + probe.port + " '" + probe.service + "') failed " + misses.size() + " times: " + misses);
      }
    }
    System.out.printf(Locale.ROOT, "%s: SERVING after %.1f s (%s)%n", p.name, p.timeToServing.toMillis() / 1000.0, p.ip);
    return true;
  }

  /** What the process really runs as, read from the host's /proc: user, capabilities, no_new_privs. */
  void checkRuntime(Pod p) throws Exception {
    String pid = sh("podman", "inspect", "--format", "{{.State.Pid}}", p.container(runId)).trim();
    Map<String, String> status = new LinkedHashMap<>();
    for (String l : Files.readAllLines(Path.of("/proc", pid, "status"))) {
      int colon = l.indexOf(':');
      if (colon > 0) status.put(l.substring(0, colon), l.substring(colon + 1).trim());
    }
    String[] uids = status.get("Uid").split("\\s+");
    for (String u : uids) {
      if (u.equals("0")) fail(p.name + ": runs as root (Uid " + status.get("Uid") + ")");
    }
    if (p.runAsUser != null && !uids[0].equals(p.runAsUser.toString())) {
      fail(p.name + ": runs as uid " + uids[0] + ", the manifest says " + p.runAsUser);
    }
    if (p.dropAll && !status.get("CapEff").matches("0+")) fail(p.name + ": effective capabilities " + status.get("CapEff") + " with drop ALL");
    if (p.noNewPrivileges && !"1".equals(status.get("NoNewPrivs"))) fail(p.name + ": no_new_privs is off with allowPrivilegeEscalation: false");
    if (p.seccomp.equals("RuntimeDefault") && !"2".equals(status.get("Seccomp"))) fail(p.name + ": no seccomp filter (Seccomp " + status.get("Seccomp") + ") with RuntimeDefault");
    Integer http = p.ports.get("http");
    String metrics = "";
    if (http != null) {
      try {
        httpGet(p, "/metrics");
        metrics = ", /metrics 200";
      } catch (Exception e) {
        fail(p.name + ": /metrics on port http (" + http + "): " + e.getMessage());
      }
    }
    p.runtimeFacts = "uid " + uids[0] + " gid " + status.get("Gid").split("\\s+")[0] + ", CapEff " + status.get("CapEff")
        + ", NoNewPrivs " + status.get("NoNewPrivs") + ", Seccomp " + status.get("Seccomp") + metrics;
  }

  void endToEnd(Pod orchestrator, Path corpus, String file) throws Exception {
    Path pdf = corpus.resolve(file);
    JsonNode expected = null;
    for (JsonNode f : new ObjectMapper().readTree(corpus.resolve("expected.json").toFile()).path("files")) {
      if (f.path("file").asText().equals(file)) expected = f;
    }
    if (expected == null) {
      fail("end to end: " + file + " is not in " + corpus.resolve("expected.json"));
      return;
    }
    int port = orchestrator.ports.getOrDefault("grpc", orchestrator.startupPort());
    ManagedChannel channel = Grpc.newChannelBuilderForAddress(orchestrator.ip, port, InsecureChannelCredentials.create()).build();
    try {
      long t0 = System.nanoTime();
      var stub = OrchestratorServiceGrpc.newBlockingStub(channel);
      Job job = stub.withDeadlineAfter(30, TimeUnit.SECONDS).submitJob(SubmitJobRequest.newBuilder()
          .setContent(ByteString.copyFrom(Files.readAllBytes(pdf))).setFilename(file).setPipeline("pdf-standard")
          .setRequestId(runId + "-" + file).build()).getJob();
      Iterator<WatchJobResponse> events = stub.withDeadlineAfter(180, TimeUnit.SECONDS)
          .watchJob(WatchJobRequest.newBuilder().setJobId(job.getId()).build());
      JobState last = job.getState();
      while (events.hasNext() && !terminal(last)) last = events.next().getEvent().getJobState();
      Job done = stub.withDeadlineAfter(10, TimeUnit.SECONDS).getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build()).getJob();
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (done.getState() != JobState.JOB_STATE_SUCCEEDED) {
        fail("end to end: " + file + " through pdf-standard ended " + done.getState() + " " + done.getError());
        return;
      }
      JobResult result = stub.withDeadlineAfter(30, TimeUnit.SECONDS)
          .getJobResult(GetJobResultRequest.newBuilder().setJobId(job.getId()).build()).getResult();
      int pages = result.getMetadata().getPageCount();
      String producer = result.getMetadata().getProducer();
      if (pages != expected.path("pages").asInt() || result.getPagesCount() != pages) {
        fail("end to end: " + file + " has " + pages + " pages (" + result.getPagesCount() + " page texts), expected " + expected.path("pages"));
      }
      if (!expected.path("producer").isNull() && !producer.equals(expected.path("producer").asText())) {
        fail("end to end: producer '" + producer + "', expected " + expected.path("producer"));
      }
      report.add(String.format(Locale.ROOT, "end to end: %s through pdf-standard SUCCEEDED in %.1f s (%d pages, %d stages, %d elements)",
          file, seconds, pages, done.getStagesCount(), result.getElementsCount()));
    } catch (RuntimeException e) {
      fail("end to end: " + e);
    } finally {
      channel.shutdownNow();
    }
  }

  static boolean terminal(JobState s) {
    return s == JobState.JOB_STATE_SUCCEEDED || s == JobState.JOB_STATE_FAILED || s == JobState.JOB_STATE_CANCELLED;
  }

  /** With several processors, the workers' dns:/// + round_robin must have sent calls to each. */
  void processorSpread(List<Pod> pods) throws Exception {
    List<Pod> processors = pods.stream().filter(p -> p.workload.name().equals("processor")).toList();
    if (processors.size() < 2) return;
    List<String> calls = new ArrayList<>();
    for (Pod p : processors) {
      double n = 0;
      for (String l : httpGet(p, "/metrics").split("\n")) {
        if (l.startsWith("docmesh_processor_calls_total{")) n += Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
      }
      calls.add(p.name + " " + (long) n);
      if (n == 0) fail(p.name + ": no Process call reached it: the workers do not balance over the processor pods");
    }
    report.add("processor calls per pod (round_robin over the headless Service): " + String.join(", ", calls));
  }

  /** The monitor finds every pod through the manifests' dns: targets and sees each SERVING. */
  void monitorSeesEveryPod(List<Pod> pods) throws Exception {
    Pod monitor = pods.stream().filter(p -> p.workload.name().equals("monitor")).findFirst().orElse(null);
    if (monitor == null) return;
    Set<String> expected = new java.util.TreeSet<>();
    for (Pod p : pods) expected.add(p.workload.name() + " " + p.ip + ":" + p.ports.getOrDefault("grpc", p.startupPort()) + " SERVING");
    ManagedChannel ch = Grpc.newChannelBuilderForAddress(monitor.ip, monitor.ports.getOrDefault("grpc", monitor.startupPort()),
        InsecureChannelCredentials.create()).build();
    Set<String> seen = new java.util.TreeSet<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    try {
      while (System.nanoTime() < deadline) {
        seen.clear();
        SystemStatus status = MonitorServiceGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
            .getSystemStatus(GetSystemStatusRequest.getDefaultInstance()).getStatus();
        for (ServiceStatus s : status.getServicesList()) {
          for (InstanceStatus i : s.getInstancesList()) {
            seen.add(s.getName() + " " + i.getAddress() + (i.getHealth() == HealthState.HEALTH_STATE_SERVING ? " SERVING" : " " + i.getHealth()));
          }
        }
        if (seen.equals(expected)) break;
        Thread.sleep(500);
      }
    } catch (RuntimeException e) {
      seen.add(e.toString());
    } finally {
      ch.shutdownNow();
    }
    if (!seen.equals(expected)) {
      fail("monitor: sees " + seen + ", expected " + expected);
    } else {
      report.add("monitor: discovers and sees SERVING every pod (" + expected.size() + ") through the manifests' dns: targets");
    }
  }

  static String httpGet(Pod p, String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://" + p.ip + ":" + p.ports.get("http") + path)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new IllegalStateException(p.name + ": GET " + path + " answered " + r.statusCode());
    return r.body();
  }

  /** As the kubelet deletes pods: preStop, then SIGTERM, SIGKILL at terminationGracePeriodSeconds. */
  void stopAll(List<Pod> pods) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(pods.size());
    List<Future<?>> stops = new ArrayList<>();
    for (Pod p : pods) stops.add(pool.submit(() -> { stop(p); return null; }));
    for (Future<?> f : stops) f.get();
    pool.shutdown();
  }

  void stop(Pod p) throws Exception {
    String name = p.container(runId);
    if (!running(name)) {
      fail(p.name + ": was no longer running before the stop: exit " + exitCode(name) + ", OOMKilled "
          + sh("podman", "inspect", "--format", "{{.State.OOMKilled}}", name).trim() + ":\n" + tail(logs(name), 10));
      return;
    }
    long t0 = System.nanoTime();
    if (p.preStopSleepSeconds > 0) Thread.sleep(p.preStopSleepSeconds * 1000L);
    if (p.preStopExec != null) {
      List<String> cmd = new ArrayList<>(List.of("podman", "exec", name));
      cmd.addAll(p.preStopExec);
      Result r = exec(cmd);
      if (r.code != 0) fail(p.name + ": preStop exec " + p.preStopExec + " exited " + r.code + ": " + r.err.trim());
    }
    long left = Math.max(1, p.graceSeconds - (System.nanoTime() - t0) / 1_000_000_000L);
    exec(List.of("podman", "stop", "-t", Long.toString(left), name));
    p.stopTime = Duration.ofNanos(System.nanoTime() - t0);
    int code = exitCode(name);
    String logs = logs(name);
    if (code == 137 || p.stopTime.toSeconds() >= p.graceSeconds) {
      fail(p.name + ": did not stop within terminationGracePeriodSeconds " + p.graceSeconds + " s (took "
          + p.stopTime.toMillis() + " ms, exit " + code + ")");
    } else if (logs.lines().noneMatch(l -> l.contains("stopped") && CLEAN.matcher(l).find())) {
      fail(p.name + ": stopped (exit " + code + ") without a clean drain in its log:\n" + tail(logs, 10));
    }
    Matcher took = Pattern.compile("took_ms\\W+(\\d+)").matcher(logs);
    while (took.find()) p.drainMillis = Long.parseLong(took.group(1));
  }

  void checkLogs(Pod p) throws Exception {
    String logs = logs(p.container(runId));
    Matcher m = FORBIDDEN_LOG.matcher(logs);
    if (m.find()) fail(p.name + ": its log says \"" + m.group() + "\" (a write outside its declared volumes or a missing privilege):\n" + tail(logs, 20));
    long errors = logs.lines().filter(l -> l.contains("\"level\":\"ERROR\"") || l.contains(" ERROR ")).count();
    long warnings = logs.lines().filter(l -> l.contains("\"level\":\"WARN\"") || l.contains(" WARN ")).count();
    report.add(String.format(Locale.ROOT, "pod %-26s SERVING after %5.1f s, stopped after %5.1f s (grace %d s: preStop %d s, drain %.1f s); %s; log: %d ERROR, %d WARN",
        p.name, p.timeToServing == null ? -1 : p.timeToServing.toMillis() / 1000.0,
        p.stopTime == null ? -1 : p.stopTime.toMillis() / 1000.0, p.graceSeconds, p.preStopSleepSeconds, p.drainMillis / 1000.0,
        p.runtimeFacts, errors, warnings));
    logs.lines().map(ContainerCheck::readable).filter(l -> l.startsWith("ERROR") || l.startsWith("WARN") || l.contains(" ERROR ") || l.contains(" WARN "))
        .map(l -> l.replaceAll("\\d+", "N")).distinct().limit(5).forEach(l -> report.add("    " + l));
  }

  // ---------------------------------------------------------------- podman and gRPC helpers

  /** SERVING, another status, or why the call failed. */
  static String healthAnswer(String ip, int port, String service, int timeoutSeconds) {
    ManagedChannel ch = Grpc.newChannelBuilderForAddress(ip, port, InsecureChannelCredentials.create()).build();
    try {
      return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus().name();
    } catch (RuntimeException e) {
      return e.getMessage();
    } finally {
      ch.shutdownNow();
    }
  }

  static boolean serving(String ip, int port, String service, int timeoutSeconds) {
    return healthAnswer(ip, port, service, timeoutSeconds).equals("SERVING");
  }

  boolean running(String name) throws Exception {
    return sh("podman", "inspect", "--format", "{{.State.Running}}", name).trim().equals("true");
  }

  int exitCode(String name) throws Exception {
    return Integer.parseInt(sh("podman", "inspect", "--format", "{{.State.ExitCode}}", name).trim());
  }

  String logs(String name) throws Exception {
    Result r = exec(List.of("podman", "logs", name));
    return r.out + r.err;
  }

  /** A log line as a person reads it: JSON lines (DOCMESH_LOG_FORMAT=json) as level, message, exception. */
  static String readable(String line) {
    if (!line.startsWith("{")) return line;
    try {
      JsonNode n = JSON.readTree(line);
      StringBuilder sb = new StringBuilder(n.path("level").asText()).append(' ').append(n.path("loggerName").asText().replaceAll(".*\\.", ""))
          .append(": ").append(n.path("message").asText());
      n.path("arguments").forEach(a -> sb.append(" [").append(a.asText()).append(']'));
      n.path("kvpList").forEach(kv -> kv.properties().forEach(e -> sb.append(' ').append(e.getKey()).append('=').append(e.getValue().asText())));
      for (JsonNode th = n.path("throwable"); th.isObject(); th = th.path("cause")) {
        sb.append(" <- ").append(th.path("className").asText()).append(": ").append(th.path("message").asText().lines().findFirst().orElse(""));
      }
      return sb.toString();
    } catch (IOException e) {
      return line;
    }
  }

  static String tail(String s, int lines) {
    List<String> all = s.lines().map(ContainerCheck::readable).toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  /** Containers, volumes and networks of earlier runs whose process is gone (killed runs). */
  void removeLeftovers() throws Exception {
    Pattern run = Pattern.compile("dmcheck(\\d+)-?.*");
    for (String kind : List.of("container", "volume", "network")) {
      List<String> list = new ArrayList<>(List.of("podman", kind, "ls", "--format", kind.equals("volume") ? "{{.Name}}" : "{{.Names}}"));
      if (kind.equals("container")) list.add(3, "-a");
      if (kind.equals("network")) list.set(4, "{{.Name}}");
      for (String name : exec(list).out.split("\n")) {
        Matcher m = run.matcher(name.trim());
        if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
          exec(kind.equals("container") ? List.of("podman", "rm", "-f", "-t", "0", name.trim()) : List.of("podman", kind, "rm", "-f", name.trim()));
        }
      }
    }
  }

  synchronized void cleanup() {
    try {
      for (String c : cleanupContainers) exec(List.of("podman", "rm", "-f", "-t", "0", c));
      for (String v : cleanupVolumes) exec(List.of("podman", "volume", "rm", "-f", v));
      exec(List.of("podman", "network", "rm", "-f", network));
      if (scratch != null) exec(List.of("rm", "-rf", scratch.toString()));
      cleanupContainers.clear();
      cleanupVolumes.clear();
    } catch (Exception e) {
      System.err.println("cleanup: " + e);
    }
  }

  record Result(int code, String out, String err) {}

  static Result exec(List<String> cmd) throws IOException, InterruptedException {
    Path out = Files.createTempFile("podman", ".out");
    Path err = Files.createTempFile("podman", ".err");
    try {
      Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-1, "", "timed out: " + cmd);
      }
      return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  static String sh(String... cmd) throws IOException, InterruptedException {
    Result r = exec(List.of(cmd));
    if (r.code != 0) throw new IllegalStateException(String.join(" ", cmd) + " exited " + r.code + ": " + r.err.trim());
    return r.out;
  }

  // ---------------------------------------------------------------- the manifests

  record Workload(String kind, String name, String namespace, int replicas, JsonNode pod, JsonNode container, JsonNode claimTemplates) {}

  record Service(String name, String namespace, Map<String, String> selector, JsonNode ports) {}

  static final class Manifests {
    final List<Workload> workloads = new ArrayList<>();
    final Map<String, Map<String, String>> configMaps = new LinkedHashMap<>();
    final List<Service> services = new ArrayList<>();

    static Manifests read(Path file) throws IOException {
      Manifests m = new Manifests();
      try (var docs = new YAMLMapper().readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
        while (docs.hasNext()) {
          JsonNode d = docs.next();
          if (d == null || d.isNull() || d.isMissingNode()) continue;
          String kind = d.path("kind").asText();
          String name = d.path("metadata").path("name").asText();
          String ns = d.path("metadata").path("namespace").asText("default");
          switch (kind) {
            case "ConfigMap" -> m.configMaps.put(ns + "/" + name, strings(d.path("data")));
            case "Service" -> m.services.add(new Service(name, ns, strings(d.path("spec").path("selector")), d.path("spec").path("ports")));
            case "Deployment", "StatefulSet" -> {
              JsonNode pod = d.path("spec").path("template").path("spec");
              for (JsonNode c : pod.path("containers")) {
                if (c.path("image").asText().startsWith("docmesh/")) {
                  m.workloads.add(new Workload(kind, name, ns, d.path("spec").path("replicas").asInt(1), withLabels(pod, d), c,
                      d.path("spec").path("volumeClaimTemplates")));
                }
              }
            }
            default -> { }
          }
        }
      }
      return m;
    }

    /** The pod spec plus its template labels (kept under a private key for Service selection). */
    static JsonNode withLabels(JsonNode pod, JsonNode workload) {
      var copy = ((com.fasterxml.jackson.databind.node.ObjectNode) pod).deepCopy();
      copy.set("__labels", workload.path("spec").path("template").path("metadata").path("labels"));
      copy.put("__serviceName", workload.path("spec").path("serviceName").asText(""));
      return copy;
    }

    static Map<String, String> strings(JsonNode n) {
      Map<String, String> m = new LinkedHashMap<>();
      n.properties().forEach(e -> m.put(e.getKey(), e.getValue().asText()));
      return m;
    }
  }

  record Probe(String kind, int port, String service, int timeoutSeconds, int periodSeconds, int failureThreshold, int budgetSeconds) {}

  /** One pod of a workload, planned from its manifest: everything podman run needs. */
  static final class Pod {
    Workload workload;
    String name;
    String image;
    String ip;
    Map<String, Integer> ports = new LinkedHashMap<>();
    Map<String, String> env = new LinkedHashMap<>();
    List<String> envFromRefs = new ArrayList<>();
    Long runAsUser;
    Long runAsGroup;
    Long fsGroup;
    boolean runAsNonRoot;
    boolean readOnlyRoot;
    boolean dropAll;
    boolean noNewPrivileges;
    List<String> capAdd = new ArrayList<>();
    String seccomp;
    Map<String, String> tmpfsMounts = new LinkedHashMap<>(); // path -> options
    Map<String, String> pvcMounts = new LinkedHashMap<>(); // claim -> path
    Map<String, Path> configMounts = new LinkedHashMap<>(); // path -> host dir
    Map<String, Map<String, String>> configVolumes = new LinkedHashMap<>();
    Set<String> aliases = new LinkedHashSet<>();
    Set<String> serviceNames = new LinkedHashSet<>();
    List<String> extraHosts = new ArrayList<>();
    List<String> command;
    List<String> args;
    Long memoryLimit;
    String cpuLimit;
    int graceSeconds = 30;
    int preStopSleepSeconds;
    List<String> preStopExec;
    Probe startup;
    Probe readiness;
    Probe liveness;
    Duration timeToServing;
    Duration stopTime;
    long drainMillis = -1;
    String runtimeFacts = "";

    String container(String runId) {
      return runId + "-" + name;
    }

    int startupBudgetSeconds() {
      Probe p = startup != null ? startup : readiness;
      return p == null ? 60 : p.budgetSeconds;
    }

    int startupPort() {
      Probe p = startup != null ? startup : readiness;
      return p != null ? p.port : ports.getOrDefault("grpc", ports.values().iterator().next());
    }

    String startupService() {
      Probe p = startup != null ? startup : readiness;
      return p != null ? p.service : "";
    }

    int startupTimeoutSeconds() {
      Probe p = startup != null ? startup : readiness;
      return p != null ? p.timeoutSeconds : 1;
    }

    static Pod plan(Workload w, Manifests m, int index) {
      Pod p = new Pod();
      p.workload = w;
      JsonNode pod = w.pod();
      JsonNode c = w.container();
      p.name = w.kind().equals("StatefulSet") ? w.name() + "-" + index : w.name() + "-7d9f8c6b5-ci" + index + "xq";
      p.image = c.path("image").asText();
      for (JsonNode port : c.path("ports")) p.ports.put(port.path("name").asText(String.valueOf(port.path("containerPort").asInt())), port.path("containerPort").asInt());

      // env: envFrom first, then env (which wins), $(VAR) expanded from what came before
      for (JsonNode from : c.path("envFrom")) {
        String cm = from.path("configMapRef").path("name").asText(null);
        if (cm == null) throw new IllegalArgumentException(w.name() + ": envFrom other than configMapRef is not emulated: " + from);
        Map<String, String> data = m.configMaps.get(w.namespace() + "/" + cm);
        if (data == null) throw new IllegalArgumentException(w.name() + ": envFrom names a missing ConfigMap " + cm);
        data.forEach((k, v) -> p.env.put(from.path("prefix").asText("") + k, v));
      }
      for (JsonNode e : c.path("env")) {
        String key = e.path("name").asText();
        if (e.has("value")) {
          p.env.put(key, expand(e.path("value").asText(), p.env));
        } else if (e.path("valueFrom").has("configMapKeyRef")) {
          JsonNode ref = e.path("valueFrom").path("configMapKeyRef");
          Map<String, String> data = m.configMaps.get(w.namespace() + "/" + ref.path("name").asText());
          String v = data == null ? null : data.get(ref.path("key").asText());
          if (v == null && !ref.path("optional").asBoolean(false)) throw new IllegalArgumentException(w.name() + ": env " + key + " refers to a missing ConfigMap key " + ref);
          if (v != null) p.env.put(key, v);
        } else if (e.path("valueFrom").has("fieldRef")) {
          String field = e.path("valueFrom").path("fieldRef").path("fieldPath").asText();
          p.env.put(key, switch (field) {
            case "metadata.name" -> p.name;
            case "metadata.namespace" -> w.namespace();
            case "spec.nodeName" -> "ci-node";
            case "status.podIP" -> "$(POD_IP)"; // filled in once the address is known
            default -> throw new IllegalArgumentException(w.name() + ": fieldRef " + field + " is not emulated");
          });
        } else if (e.path("valueFrom").has("resourceFieldRef")) {
          String res = e.path("valueFrom").path("resourceFieldRef").path("resource").asText();
          JsonNode limits = c.path("resources").path("limits");
          p.env.put(key, switch (res) {
            case "limits.memory" -> String.valueOf(bytes(limits.path("memory").asText()));
            case "limits.cpu" -> String.valueOf((long) Math.ceil(cpus(limits.path("cpu").asText("1"))));
            default -> throw new IllegalArgumentException(w.name() + ": resourceFieldRef " + res + " is not emulated");
          });
        } else {
          throw new IllegalArgumentException(w.name() + ": env " + key + " uses a source that is not emulated: " + e);
        }
      }

      JsonNode psc = pod.path("securityContext");
      JsonNode csc = c.path("securityContext");
      p.runAsUser = longOf(csc, psc, "runAsUser");
      p.runAsGroup = longOf(csc, psc, "runAsGroup");
      p.fsGroup = psc.has("fsGroup") ? psc.path("fsGroup").asLong() : null;
      p.runAsNonRoot = csc.path("runAsNonRoot").asBoolean(psc.path("runAsNonRoot").asBoolean(false));
      p.readOnlyRoot = csc.path("readOnlyRootFilesystem").asBoolean(false);
      if (csc.path("privileged").asBoolean(false)) throw new IllegalArgumentException(w.name() + ": privileged containers are not run");
      for (JsonNode d : csc.path("capabilities").path("drop")) if (d.asText().equalsIgnoreCase("ALL")) p.dropAll = true;
      for (JsonNode a : csc.path("capabilities").path("add")) p.capAdd.add(a.asText());
      p.noNewPrivileges = csc.has("allowPrivilegeEscalation") && !csc.path("allowPrivilegeEscalation").asBoolean();
      JsonNode seccomp = csc.has("seccompProfile") ? csc.path("seccompProfile") : psc.path("seccompProfile");
      p.seccomp = seccomp.path("type").asText("RuntimeDefault");

      Map<String, JsonNode> volumes = new LinkedHashMap<>();
      for (JsonNode v : pod.path("volumes")) volumes.put(v.path("name").asText(), v);
      Set<String> claims = new LinkedHashSet<>();
      for (JsonNode t : w.claimTemplates()) claims.add(t.path("metadata").path("name").asText());
      for (JsonNode vm : c.path("volumeMounts")) {
        String vname = vm.path("name").asText();
        String path = vm.path("mountPath").asText();
        if (vm.has("subPath")) throw new IllegalArgumentException(w.name() + ": subPath mounts are not emulated");
        JsonNode v = volumes.get(vname);
        if (v == null && claims.contains(vname)) {
          p.pvcMounts.put(vname, path);
        } else if (v != null && v.has("emptyDir")) {
          // like an emptyDir: writable by anyone, exec allowed (native libraries are loaded from /tmp)
          String size = v.path("emptyDir").path("sizeLimit").asText("");
          p.tmpfsMounts.put(path, "rw,exec,nosuid,nodev,mode=1777" + (size.isEmpty() ? "" : ",size=" + bytes(size)));
        } else if (v != null && v.has("persistentVolumeClaim")) {
          p.pvcMounts.put(v.path("persistentVolumeClaim").path("claimName").asText(), path);
        } else if (v != null && v.has("configMap")) {
          String cm = v.path("configMap").path("name").asText();
          Map<String, String> data = m.configMaps.get(w.namespace() + "/" + cm);
          if (data == null) throw new IllegalArgumentException(w.name() + ": volume " + vname + " names a missing ConfigMap " + cm);
          Map<String, String> files = new LinkedHashMap<>();
          if (v.path("configMap").has("items")) {
            for (JsonNode item : v.path("configMap").path("items")) files.put(item.path("path").asText(), data.get(item.path("key").asText()));
          } else {
            files.putAll(data);
          }
          p.configVolumes.put(path, files);
        } else {
          throw new IllegalArgumentException(w.name() + ": volume " + vname + " (" + v + ") is not emulated");
        }
      }

      // Every Service selecting the pod: its name resolves to the pod (short, .ns, .ns.svc, FQDN).
      Map<String, String> labels = Manifests.strings(pod.path("__labels"));
      for (Service s : m.services) {
        if (!s.namespace().equals(w.namespace()) || s.selector().isEmpty()) continue;
        if (!labels.entrySet().containsAll(s.selector().entrySet())) continue;
        for (JsonNode sp : s.ports()) {
          JsonNode target = sp.path("targetPort");
          int targetPort = target.isMissingNode() ? sp.path("port").asInt()
              : target.isInt() ? target.asInt() : p.ports.getOrDefault(target.asText(), -1);
          if (targetPort != sp.path("port").asInt()) {
            throw new IllegalArgumentException("Service " + s.name() + " maps port " + sp.path("port") + " to " + target
                + " (container port " + targetPort + "): a plain container network cannot remap ports");
          }
        }
        addAliases(p.aliases, s.name(), w.namespace());
        p.serviceNames.add(s.name());
      }
      if (w.kind().equals("StatefulSet")) {
        String governing = w.pod().path("__serviceName").asText("");
        if (!governing.isEmpty()) addAliases(p.aliases, p.name + "." + governing, w.namespace());
      }

      if (c.has("command")) p.command = strings(c.path("command"));
      if (c.has("args")) p.args = strings(c.path("args"));
      JsonNode limits = c.path("resources").path("limits");
      if (limits.has("memory")) p.memoryLimit = bytes(limits.path("memory").asText());
      if (limits.has("cpu")) p.cpuLimit = String.valueOf(cpus(limits.path("cpu").asText()));
      p.graceSeconds = pod.path("terminationGracePeriodSeconds").asInt(30);
      JsonNode preStop = c.path("lifecycle").path("preStop");
      if (preStop.has("sleep")) p.preStopSleepSeconds = preStop.path("sleep").path("seconds").asInt();
      if (preStop.has("exec")) p.preStopExec = strings(preStop.path("exec").path("command"));
      if (preStop.has("httpGet")) throw new IllegalArgumentException(w.name() + ": preStop httpGet is not emulated");
      p.startup = probe("startup", c.path("startupProbe"), p.ports, w.name());
      p.readiness = probe("readiness", c.path("readinessProbe"), p.ports, w.name());
      p.liveness = probe("liveness", c.path("livenessProbe"), p.ports, w.name());
      if (p.readiness == null) throw new IllegalArgumentException(w.name() + ": no gRPC readiness probe to check");
      return p;
    }

    static void addAliases(Set<String> aliases, String name, String ns) {
      aliases.add(name);
      aliases.add(name + "." + ns);
      aliases.add(name + "." + ns + ".svc");
      aliases.add(name + "." + ns + "." + NETWORK_DOMAIN);
    }

    static Probe probe(String kind, JsonNode n, Map<String, Integer> ports, String workload) {
      if (n.isMissingNode()) return null;
      if (!n.has("grpc")) throw new IllegalArgumentException(workload + ": " + kind + " probe is not a grpc probe: " + n);
      JsonNode port = n.path("grpc").path("port");
      int number = port.isInt() ? port.asInt() : ports.getOrDefault(port.asText(), -1);
      int period = n.path("periodSeconds").asInt(10);
      int threshold = n.path("failureThreshold").asInt(3);
      int budget = n.path("initialDelaySeconds").asInt(0) + period * threshold;
      return new Probe(kind, number, n.path("grpc").path("service").asText(""), n.path("timeoutSeconds").asInt(1), period, threshold, budget);
    }

    /** podman run, as the kubelet would start this container; withVolumes=false leaves out the PVCs. */
    List<String> runCommand(String container, String network, Path scratch, ContainerCheck check, boolean withVolumes) throws Exception {
      if (runAsNonRoot && runAsUser != null && runAsUser == 0) throw new IllegalArgumentException(name + ": runAsNonRoot with runAsUser 0");
      List<String> cmd = new ArrayList<>(List.of("podman", "run", "-d", "--pull", "never", "--name", container,
          "--hostname", name, "--network", network, "--ip", ip, "--label", "dev.docmesh.check=" + check.runId));
      for (String a : aliases) cmd.addAll(List.of("--network-alias", a));
      for (String h : extraHosts) cmd.addAll(List.of("--add-host", h));
      if (runAsUser != null) cmd.addAll(List.of("--user", runAsUser + (runAsGroup != null ? ":" + runAsGroup : "")));
      if (fsGroup != null) cmd.addAll(List.of("--group-add", fsGroup.toString()));
      if (readOnlyRoot) cmd.addAll(List.of("--read-only", "--read-only-tmpfs=false"));
      if (dropAll) cmd.add("--cap-drop=ALL");
      for (String cap : capAdd) cmd.add("--cap-add=" + cap);
      if (noNewPrivileges) cmd.addAll(List.of("--security-opt", "no-new-privileges"));
      if (seccomp.equals("Unconfined")) cmd.addAll(List.of("--security-opt", "seccomp=unconfined"));
      if (memoryLimit != null) cmd.addAll(List.of("--memory", memoryLimit.toString()));
      if (cpuLimit != null) cmd.addAll(List.of("--cpus", cpuLimit));
      tmpfsMounts.forEach((path, options) -> cmd.addAll(List.of("--tmpfs", path + ":" + options)));
      if (withVolumes) {
        for (var e : pvcMounts.entrySet()) {
          // a fresh, empty disk volume like a newly provisioned claim (no copy of the image's directory)
          String volume = container + "-" + e.getKey();
          sh("podman", "volume", "create", volume);
          check.cleanupVolumes.add(volume);
          cmd.addAll(List.of("-v", volume + ":" + e.getValue() + ":nocopy"));
        }
      }
      for (var e : configVolumes.entrySet()) {
        Path dir = Files.createDirectories(scratch.resolve(container + e.getKey().replace('/', '_')));
        for (var f : e.getValue().entrySet()) Files.writeString(dir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
        exec(List.of("chmod", "-R", "a+rX", dir.toString()));
        cmd.addAll(List.of("-v", dir + ":" + e.getKey() + ":ro"));
      }
      for (var e : env.entrySet()) cmd.addAll(List.of("--env", e.getKey() + "=" + e.getValue().replace("$(POD_IP)", ip)));
      if (command != null) cmd.addAll(List.of("--entrypoint", new ObjectMapper().writeValueAsString(command)));
      cmd.add(image);
      if (args != null) cmd.addAll(args);
      return cmd;
    }

    static Long longOf(JsonNode container, JsonNode pod, String field) {
      if (container.has(field)) return container.path(field).asLong();
      return pod.has(field) ? pod.path(field).asLong() : null;
    }

    static List<String> strings(JsonNode n) {
      List<String> l = new ArrayList<>();
      n.forEach(x -> l.add(x.asText()));
      return l;
    }

    static String expand(String value, Map<String, String> env) {
      Matcher m = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)").matcher(value);
      StringBuilder sb = new StringBuilder();
      while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(env.getOrDefault(m.group(1), m.group())));
      m.appendTail(sb);
      return sb.toString();
    }

    static long bytes(String q) {
      Matcher m = Pattern.compile("([0-9.]+)([A-Za-z]*)").matcher(q.trim());
      if (!m.matches()) throw new IllegalArgumentException("quantity " + q);
      double v = Double.parseDouble(m.group(1));
      long mult = switch (m.group(2)) {
        case "" -> 1L;
        case "Ki" -> 1L << 10; case "Mi" -> 1L << 20; case "Gi" -> 1L << 30; case "Ti" -> 1L << 40;
        case "k" -> 1_000L; case "M" -> 1_000_000L; case "G" -> 1_000_000_000L; case "T" -> 1_000_000_000_000L;
        default -> throw new IllegalArgumentException("quantity " + q);
      };
      return (long) (v * mult);
    }

    static double cpus(String q) {
      return q.endsWith("m") ? Double.parseDouble(q.substring(0, q.length() - 1)) / 1000.0 : Double.parseDouble(q);
    }
  }
}
