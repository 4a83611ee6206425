package dev.docmesh.processor;

import java.lang.management.ManagementFactory;

/**
 * Whether the machine (the container, where the JVM sees one) has a core's worth of CPU to spare,
 * from its recent CPU use as the JVM reports it. Read at most every {@value #EVERY_MILLIS} ms: the
 * figure is a rate over the time since the last read, meaningless over a few microseconds.
 */
final class IdleCores {
  private static final long EVERY_MILLIS = 100;

  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private final int cores = Runtime.getRuntime().availableProcessors();
  private long readAt;
  private boolean spare = true;

  /** True when at least one core was idle (three quarters of it) lately; unknown counts as yes. */
  synchronized boolean one() {
    long now = System.nanoTime() / 1_000_000;
    if (now - readAt >= EVERY_MILLIS) {
      readAt = now;
      double load = os.getCpuLoad(); // 0..1 of all cores, negative when unknown
      spare = load < 0 || (1 - load) * cores >= 0.75;
    }
    return spare;
  }
}
