package dev.docmesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rendered Deployments and StatefulSets run as local processes, as a kubelet would run their
 * containers: the same jar and entrypoint (the image's, from containers/<svc>.Dockerfile), the same
 * args, exactly the environment of the rendered ConfigMaps and {@code env:}, volumes as
 * directories, the memory limit as the JVM's {@code MaxRAM} (what container detection reads), and
 * cluster DNS as a hosts file in which every pod has its own 127.77.0.x address.
 *
 * <p>Two things differ, both forced by this machine: one pod per workload, and ports. The servers
 * bind the wildcard address (there is no bind-address variable), so the manifests' ports would
 * clash with other meshes on this host: each container port gets a free local port, and every
 * {@code <cluster name>:<port>} and port variable in the environment is rewritten to it (checked to
 * be the declared containerPort before it is rewritten).
 */
final class LocalCluster implements AutoCloseable {
  private static final Pattern HOST_PORT =
      Pattern.compile("([a-z0-9]([a-z0-9.-]*[a-z0-9])?):(\\d+)");
  static final String NAMESPACE = "docmesh";

  /** A stand-in for a pod: a process (or an outside program) at its own loopback address. */
  static final class Pod {
    final String workload;
    final String name;
    final String ip;
    final Map<Integer, Integer> localPorts = new LinkedHashMap<>();
    final Path dir;
    Workload spec;
    List<String> command;
    Map<String, String> env;
    Process process;

    Pod(String workload, String name, String ip, Path dir) {
      this.workload = workload;
      this.name = name;
      this.ip = ip;
      this.dir = dir;
    }

    int local(int containerPort) {
      Integer p = localPorts.get(containerPort);
      if (p == null) {
        throw new AssertionError(name + " has no port " + containerPort);
      }
      return p;
    }

    Path log() {
      return dir.resolve("container.log");
    }
  }

  final List<ObjectNode> objects;
  final Path dir;
  final Path hostsFile;
  final Map<String, Pod> pods = new LinkedHashMap<>();

  /** cluster DNS name -> pod */
  final Map<String, Pod> dns = new LinkedHashMap<>();

  LocalCluster(List<ObjectNode> objects, Path dir) {
    this.objects = objects;
    this.dir = dir;
    this.hostsFile = dir.resolve("hosts");
  }

  /** Lays out a pod for every workload: address, ports, directories; nothing starts yet. */
  void plan() {
    int n = 2;
    for (Workload w : Workload.all(objects)) {
      String podName =
          w.kind().equals("StatefulSet") ? w.name() + "-0" : w.name() + "-5d8f7c9b6-x" + n;
      Pod pod = new Pod(w.name(), podName, "127.77.0." + n++, dir.resolve(podName));
      pod.spec = w;
      for (PolicyGraph.Port p : w.ports()) {
        pod.localPorts.put(p.number(), freePort());
      }
      pods.put(w.name(), pod);
    }
    for (ObjectNode s : Manifests.ofKind(objects, "Service")) {
      Pod target =
          pods.values().stream()
              .filter(
                  p ->
                      PolicyGraph.matches(
                          Manifests.YAML
                              .createObjectNode()
                              .set("matchLabels", s.at("/spec/selector")),
                          p.spec.podLabels()))
              .findFirst()
              .orElseThrow(
                  () -> new AssertionError("Service " + Manifests.name(s) + " selects no pod"));
      String name = Manifests.name(s);
      for (String form :
          List.of(
              name,
              name + "." + NAMESPACE,
              name + "." + NAMESPACE + ".svc",
              name + "." + NAMESPACE + ".svc.cluster.local")) {
        dns.put(form, target);
      }
    }
    for (Pod p : pods.values()) {
      if (p.spec.kind().equals("StatefulSet")) {
        String governing = p.spec.object().at("/spec/serviceName").asText();
        dns.put(p.name + "." + governing + "." + NAMESPACE + ".svc.cluster.local", p);
      }
    }
    StringBuilder hosts = new StringBuilder("127.0.0.1 localhost\n");
    dns.forEach((name, pod) -> hosts.append(pod.ip).append(' ').append(name).append('\n'));
    for (Pod p : pods.values()) {
      hosts.append(p.ip).append(' ').append(p.name).append('\n');
    }
    try {
      Files.createDirectories(dir);
      Files.writeString(hostsFile, hosts.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The address a client in the cluster would reach for {@code name:port}, here. */
  String address(String clusterName, int port) {
    Pod pod = dns.get(clusterName);
    if (pod == null) {
      throw new AssertionError(clusterName + " is not a Service of the rendering");
    }
    return pod.ip + ":" + pod.local(port);
  }

  /** Prepares the command and environment of a pod's container (the service jars only). */
  void prepare(Pod pod) throws IOException {
    Workload w = pod.spec;
    Map<String, String> mounts = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> m : w.mounts().entrySet()) {
      Path local = pod.dir.resolve("volumes" + m.getKey());
      Files.createDirectories(local);
      mounts.put(m.getKey(), local.toString());
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : w.environment(pod.name, pod.ip).entrySet()) {
      env.put(e.getKey(), rewrite(pod, e.getKey(), e.getValue(), mounts));
    }
    pod.env = env;

    List<String> entrypoint = Entrypoint.of(w.name());
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // what the JVM's container support would read from the cgroup
    cmd.add(
        "-XX:MaxRAM="
            + CrossCheckTest.bytes(w.container().at("/resources/limits/memory").asText()));
    JsonNode cpu = w.container().at("/resources/limits/cpu");
    if (cpu.isTextual()) {
      cmd.add(
          "-XX:ActiveProcessorCount=" + (int) Math.ceil(CrossCheckTest.bytes(cpu.asText()) / 1.0));
    }
    cmd.add("-Djdk.net.hosts.file=" + hostsFile);
    for (String token : entrypoint.subList(1, entrypoint.size())) {
      if (token.equals("$JAVA_OPTS")) {
        for (String opt : env.getOrDefault("JAVA_OPTS", "").trim().split("\\s+")) {
          if (!opt.isEmpty()) {
            cmd.add(opt);
          }
        }
      } else if (token.startsWith("/app/") && token.endsWith(".jar")) {
        cmd.add(
            Manifests.root()
                .resolve(w.name() + "-svc/target/" + Path.of(token).getFileName())
                .toString());
      } else {
        cmd.add(rewritePaths(token, mounts));
      }
    }
    if (w.container().has("command")) {
      throw new AssertionError(
          w.name() + ": a command replaces the image's entrypoint; not supported here");
    }
    for (JsonNode arg : w.container().path("args")) {
      cmd.add(rewrite(pod, "args", arg.asText(), mounts));
    }
    pod.command = cmd;
  }

  private String rewrite(Pod pod, String key, String value, Map<String, String> mounts) {
    if (key.equals("DOCMESH_GRPC_PORT") || key.equals("DOCMESH_METRICS_PORT")) {
      int port = Integer.parseInt(value);
      if (!pod.localPorts.containsKey(port)) {
        throw new AssertionError(
            pod.workload + ": " + key + "=" + value + " is not a declared containerPort");
      }
      return String.valueOf(pod.local(port));
    }
    Matcher m = HOST_PORT.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String host = m.group(1);
      Pod target = dns.get(host);
      String replacement = m.group();
      if (target != null) {
        replacement = host + ":" + target.local(Integer.parseInt(m.group(3)));
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return rewritePaths(out.toString(), mounts);
  }

  private static String rewritePaths(String value, Map<String, String> mounts) {
    StringBuilder out = new StringBuilder();
    for (String token : value.split("(?<=\\s)|(?=\\s)")) {
      String t = token;
      for (Map.Entry<String, String> m : mounts.entrySet()) {
        String mount = m.getKey();
        int eq = t.indexOf('=');
        String prefix =
            t.startsWith(mount)
                ? ""
                : eq >= 0 && t.substring(eq + 1).startsWith(mount) ? t.substring(0, eq + 1) : null;
        if (prefix != null) {
          String rest = t.substring(prefix.length() + mount.length());
          if (rest.isEmpty() || rest.startsWith("/")) {
            t = prefix + m.getValue() + rest;
            break;
          }
        }
      }
      out.append(t);
    }
    return out.toString();
  }

  void start(Pod pod) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(pod.command);
    pb.environment().clear();
    pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    pb.environment().put("HOSTNAME", pod.name);
    pb.environment().putAll(pod.env);
    pb.directory(pod.dir.toFile());
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(pod.log().toFile()));
    pod.process = pb.start();
  }

  /**
   * The kubelet's gRPC probe: Health/Check on the pod's address and the probe's port and service.
   */
  static HealthCheckResponse.ServingStatus grpcProbe(Pod pod, JsonNode probe) {
    int port = probe.at("/grpc/port").asInt();
    String service = probe.at("/grpc/service").asText("");
    int timeout = probe.path("timeoutSeconds").asInt(1);
    ManagedChannel ch =
        ManagedChannelBuilder.forAddress(pod.ip, pod.local(port)).usePlaintext().build();
    try {
      return HealthGrpc.newBlockingStub(ch)
          .withDeadlineAfter(timeout, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build())
          .getStatus();
    } catch (io.grpc.StatusRuntimeException e) {
      return HealthCheckResponse.ServingStatus.UNKNOWN;
    } finally {
      ch.shutdownNow();
    }
  }

  /**
   * Runs the startup probe as the kubelet does (every periodSeconds, up to failureThreshold
   * failures), then one readiness probe; returns how long startup took.
   */
  static Duration awaitStarted(Pod pod) throws InterruptedException {
    JsonNode startup = pod.spec.probe("startupProbe");
    long period = startup.path("periodSeconds").asLong(10) * 1000;
    int threshold = startup.path("failureThreshold").asInt(3);
    long begin = System.nanoTime();
    for (int failures = 0; ; failures++) {
      if (!pod.process.isAlive()) {
        throw new AssertionError(
            pod.name + " exited with " + pod.process.exitValue() + "; log: " + tail(pod));
      }
      if (grpcProbe(pod, startup) == HealthCheckResponse.ServingStatus.SERVING) {
        return Duration.ofNanos(System.nanoTime() - begin);
      }
      if (failures + 1 >= threshold) {
        throw new AssertionError(
            pod.name + ": startupProbe failed " + threshold + " times; log: " + tail(pod));
      }
      TimeUnit.MILLISECONDS.sleep(period); // the kubelet's probe period, not a wait for a condition
    }
  }

  static String tail(Pod pod) {
    try {
      List<String> lines = Files.readAllLines(pod.log());
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** Peak resident set (VmHWM) of a pod's process, in bytes. */
  static long peakRss(Pod pod) throws IOException {
    for (String line :
        Files.readAllLines(Path.of("/proc", String.valueOf(pod.process.pid()), "status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
      }
    }
    throw new AssertionError("no VmHWM for " + pod.name);
  }

  /**
   * A port free on every address, below the kernel's ephemeral range: outgoing connections (ours
   * and other programs') never take it between this check and the service's bind.
   */
  static synchronized int freePort() {
    java.util.concurrent.ThreadLocalRandom random =
        java.util.concurrent.ThreadLocalRandom.current();
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = random.nextInt(20_000, 32_000);
      if (TAKEN.contains(port)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(false);
        s.bind(new java.net.InetSocketAddress(port));
        TAKEN.add(port);
        return port;
      } catch (IOException inUse) {
        // try another
      }
    }
    throw new AssertionError("no free port in 20000-32000");
  }

  private static final java.util.Set<Integer> TAKEN = new java.util.HashSet<>();

  @Override
  public void close() {
    for (Pod p : pods.values()) {
      if (p.process != null && p.process.isAlive()) {
        p.process.destroyForcibly();
      }
    }
    for (Pod p : pods.values()) {
      if (p.process != null) {
        try {
          p.process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
