package dev.docmesh.chaos;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * One service as its own JVM, started from its runnable jar with a fixed gRPC and metrics port
 * (kept across restarts, so clients and proxies reconnect to the same address).
 */
final class ServiceProcess implements AutoCloseable {
  private final String name;
  private final Path jar;
  private final Map<String, String> env;
  private final String heap;
  private final Path logDir;
  final int grpcPort;
  final int metricsPort;
  private final ManagedChannel healthChannel;
  private Process process;
  private int starts;

  ServiceProcess(String name, Path jar, Map<String, String> env, String heap, Path logDir) {
    this.name = name;
    this.jar = jar;
    this.heap = heap;
    this.logDir = logDir;
    this.grpcPort = Ports.free();
    this.metricsPort = Ports.free();
    this.env = new TreeMap<>(env);
    this.env.put("DOCMESH_GRPC_PORT", Integer.toString(grpcPort));
    this.env.put("DOCMESH_METRICS_PORT", Integer.toString(metricsPort));
    this.env.put("DOCMESH_INSTANCE_ID", name);
    this.healthChannel = Channels.plain("127.0.0.1:" + grpcPort);
  }

  String name() {
    return name;
  }

  String address() {
    return "127.0.0.1:" + grpcPort;
  }

  synchronized void start() {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap,
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Xss512k",
                "-jar",
                jar.toString()));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(
                ProcessBuilder.Redirect.appendTo(logDir.resolve(name + ".log").toFile()));
    pb.environment().putAll(env);
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + name + " from " + jar, e);
    }
    starts++;
  }

  /** Starts and waits until the gRPC health check answers SERVING. */
  void startServing() {
    start();
    awaitServing();
  }

  void awaitServing() {
    try {
      Awaitility.await(name + " SERVING")
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .failFast(name + " exited", () -> !isAlive())
          .ignoreExceptions()
          .until(
              () -> {
                // A restart must not wait out the back-off the channel built while it was down.
                healthChannel.resetConnectBackoff();
                return HealthGrpc.newBlockingStub(healthChannel)
                        .withDeadlineAfter(1, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.getDefaultInstance())
                        .getStatus()
                    == HealthCheckResponse.ServingStatus.SERVING;
              });
    } catch (RuntimeException | AssertionError e) {
      throw new AssertionError(
          name
              + (isAlive() ? " never answered SERVING" : " exited with " + process.exitValue())
              + " (start "
              + starts
              + ", port "
              + grpcPort
              + "); the end of "
              + logDir.resolve(name + ".log")
              + ":\n"
              + logTail(40),
          e);
    }
  }

  private String logTail(int lines) {
    try {
      List<String> all = java.nio.file.Files.readAllLines(logDir.resolve(name + ".log"));
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | RuntimeException e) {
      return "(unreadable: " + e + ")";
    }
  }

  synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  synchronized long pid() {
    return process.pid();
  }

  /** SIGKILL: no hook, no drain, nothing flushed. */
  void kill9() {
    Process p;
    synchronized (this) {
      p = process;
    }
    p.destroyForcibly();
    waitFor(p, Duration.ofSeconds(30));
  }

  /** SIGTERM, then waits for the process to exit on its own; answers its exit code. */
  int terminate(Duration within) {
    Process p;
    synchronized (this) {
      p = process;
    }
    p.destroy();
    if (!waitFor(p, within)) {
      p.destroyForcibly();
      waitFor(p, Duration.ofSeconds(30));
      throw new AssertionError(name + " did not exit within " + within + " of SIGTERM");
    }
    return p.exitValue();
  }

  private static boolean waitFor(Process p, Duration d) {
    try {
      return p.waitFor(d.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() {
    if (isAlive()) {
      try {
        terminate(Duration.ofSeconds(30));
      } catch (AssertionError e) {
        // forced already
      }
    }
    healthChannel.shutdownNow();
  }
}
