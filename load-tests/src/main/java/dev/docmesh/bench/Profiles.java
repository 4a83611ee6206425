package dev.docmesh.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * JFR recordings of the measured passes only, written to {@code DIR/<name>.jfr}: {@link #arm} turns
 * JFR on in a JVM halfway through the warm-up (its first start deoptimises compiled code: passes
 * right after it ran 2–10× slower), {@link #start} begins the recording that is kept, after the
 * warm-up, so JIT compilation stays out of the profile. Read them with {@code jfr print --events
 * jdk.ExecutionSample} or {@code jfr view hot-methods} (JDK 21+).
 */
final class Profiles implements AutoCloseable {
  private final Path dir;
  private final java.util.Map<ServiceProcess, String> services = new java.util.HashMap<>();
  private Recording self;
  private Recording warm;

  private static Recording recording() {
    try {
      return new Recording(Configuration.getConfiguration("profile"));
    } catch (IOException | java.text.ParseException e) {
      throw new IllegalStateException("cannot configure JFR in the harness", e);
    }
  }

  /** {@code dir} null: profiling off, every method does nothing. */
  Profiles(Path dir) {
    this.dir = dir;
  }

  /** Turns JFR on (a recording that is not kept) in these services and in this JVM. */
  void arm(ServiceProcess... running) {
    if (dir == null) {
      return;
    }
    if (warm == null) {
      warm = recording();
      warm.setMaxAge(java.time.Duration.ofSeconds(10));
      warm.start();
    }
    for (ServiceProcess s : running) {
      jcmd(s, "JFR.start", "name=warm", "settings=profile", "maxage=10s");
    }
  }

  /**
   * Starts a kept recording, {@code DIR/<phase>-<service>.jfr}, in these services and, on the first
   * call, in this JVM ({@code DIR/bench.jfr}, every measured phase).
   */
  void start(String phase, ServiceProcess... running) {
    if (dir == null) {
      return;
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (self == null) {
      self = recording();
      try {
        self.setDestination(dir.resolve("bench.jfr"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      self.start();
    }
    for (ServiceProcess s : running) {
      jcmd(
          s,
          "JFR.start",
          "name=" + phase,
          "settings=profile",
          "filename=" + dir.resolve(phase + "-" + s.name() + ".jfr"));
      services.put(s, phase);
    }
  }

  /** Writes the kept recordings of these services (call before closing them). */
  void stop(ServiceProcess... running) {
    for (ServiceProcess s : running) {
      String phase = services.remove(s);
      if (phase != null) {
        jcmd(s, "JFR.stop", "name=" + phase);
      }
    }
  }

  @Override
  public void close() {
    stop(services.keySet().toArray(ServiceProcess[]::new));
    if (self != null) {
      self.stop(); // writes the destination
      self.close();
      self = null;
    }
    if (warm != null) {
      warm.close();
      warm = null;
    }
    if (dir != null) {
      System.out.println("JFR recordings in " + dir);
    }
  }

  private static void jcmd(ServiceProcess s, String... command) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
    cmd.add(Long.toString(s.pid()));
    cmd.addAll(List.of(command));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
