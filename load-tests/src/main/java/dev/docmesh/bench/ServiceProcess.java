package dev.docmesh.bench;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One docmesh service running as its own JVM from its runnable jar, on free ports, as users run it.
 * Knows its process id so CPU time can be read from {@code /proc}.
 */
public final class ServiceProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final int grpcPort;
  private final int metricsPort;
  private final Path log;
  private final ManagedChannel channel;

  private ServiceProcess(
      String name,
      Process process,
      int grpcPort,
      int metricsPort,
      Path log,
      BenchSecurity security) {
    this.name = name;
    this.process = process;
    this.grpcPort = grpcPort;
    this.metricsPort = metricsPort;
    this.log = log;
    this.channel = Clients.channel(security.channelsTo(name), "127.0.0.1:" + grpcPort);
  }

  /**
   * The images' entrypoint flag that changes CPU (containers/*.Dockerfile): no hsperfdata sampler
   * waking every JVM 20 times a second. Their heap flags stay out: the bench sizes nothing.
   */
  static final String IMAGE_JVM_FLAG = "-XX:-UsePerfData";

  /**
   * Starts {@code <root>/<name>-svc/target/<name>-svc.jar} with the JVM options it is deployed with
   * ({@link DeployedJvm}; {@code JAVA_TOOL_OPTIONS} in {@code extraEnv} replaces them) and the
   * given extra environment, and waits until its health check answers SERVING.
   */
  public static ServiceProcess start(
      Path root, String name, Map<String, String> extraEnv, Path workDir) {
    return start(root, name, extraEnv, workDir, BenchSecurity.OFF);
  }

  /** As {@link #start(Path, String, Map, Path)}, secured (and called) as {@code security} says. */
  static ServiceProcess start(
      Path root, String name, Map<String, String> extraEnv, Path workDir, BenchSecurity security) {
    Path jar = root.resolve(name + "-svc/target/" + name + "-svc.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          jar + " is missing: build the runnable jars first (mvn -B -q -DskipTests package)");
    }
    int grpc = freePort();
    int metrics = freePort();
    Map<String, String> env = new HashMap<>();
    env.put("DOCMESH_GRPC_PORT", Integer.toString(grpc));
    env.put("DOCMESH_METRICS_PORT", Integer.toString(metrics));
    env.put("DOCMESH_INSTANCE_ID", "bench-" + name);
    env.put("DOCMESH_LOG_LEVEL", "WARN");
    env.put("DOCMESH_SHUTDOWN_GRACE", "2s");
    env.putAll(security.serverEnv(name));
    String deployed = DeployedJvm.options(name);
    if (deployed != null) {
      env.put("JAVA_TOOL_OPTIONS", deployed);
    }
    env.putAll(extraEnv);
    try {
      Files.createDirectories(workDir);
      Path log = workDir.resolve(name + ".log");
      List<String> cmd =
          new ArrayList<>(List.of(javaBinary(), IMAGE_JVM_FLAG, "-jar", jar.toString()));
      ProcessBuilder pb =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().putAll(env);
      ServiceProcess sp = new ServiceProcess(name, pb.start(), grpc, metrics, log, security);
      sp.awaitServing(Duration.ofSeconds(90));
      return sp;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitServing(Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
    while (System.nanoTime() < end) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            name + " exited with " + process.exitValue() + ":\n" + tail());
      }
      try {
        if (health
                .withDeadlineAfter(2, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance())
                .getStatus()
            == ServingStatus.SERVING) {
          return;
        }
      } catch (StatusRuntimeException notYet) {
        // still starting
      }
      sleep(100);
    }
    close();
    throw new IllegalStateException(
        name + " did not become SERVING within " + timeout + ":\n" + tail());
  }

  public String name() {
    return name;
  }

  public int grpcPort() {
    return grpcPort;
  }

  public int metricsPort() {
    return metricsPort;
  }

  public String target() {
    return "127.0.0.1:" + grpcPort;
  }

  public ManagedChannel channel() {
    return channel;
  }

  public long pid() {
    return process.pid();
  }

  /** CPU seconds (user + system) this process has used so far. */
  public double cpuSeconds() {
    return ProcCpu.seconds(process.pid());
  }

  /** The last lines of the service's log, for error messages. */
  public String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    process.destroy(); // SIGTERM: the service drains and exits
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
