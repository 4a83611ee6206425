package dev.docmesh.bench;

import java.util.Map;

/**
 * The JVM options each service is deployed with (k8s/base: the container's {@code JAVA_OPTS}, and
 * its memory limit as {@code -XX:MaxRAM}, the figure the JVM reads from the cgroup in a pod), so
 * the bench measures the collector and heap the services run with. On this 24 GiB machine the JVM's
 * defaults are G1 and a 6 GiB heap that keeps growing through fresh pages: in processor-svc's
 * measured pdf.text passes, the kernel zeroing new pages was 4.7 % of the processing threads'
 * samples (async-profiler), a cost a deployed processor does not pay once its heap has grown.
 * {@code DeployedJvmTest} holds these to the manifests.
 */
final class DeployedJvm {
  /** The orchestrator's collector (base/orchestrator/statefulset.yaml says why Shenandoah). */
  static final String ORCHESTRATOR_GC =
      "-XX:+UseShenandoahGC -XX:+UnlockExperimentalVMOptions -XX:ShenandoahControlIntervalMin=10";

  private static final String EXIT = "-XX:+ExitOnOutOfMemoryError";

  private static final Map<String, String> OPTIONS =
      Map.of(
          "orchestrator",
          "-XX:MaxRAMPercentage=60 " + EXIT + " " + ORCHESTRATOR_GC + " -Xss512k -XX:MaxRAM=512m",
          "processor",
          "-XX:MaxRAMPercentage=45 " + EXIT + " -XX:+UseG1GC -Xss512k -XX:MaxRAM=896m",
          "worker",
          "-XX:MaxRAMPercentage=60 " + EXIT + " -XX:+UseSerialGC -Xss512k -XX:MaxRAM=384m");

  private DeployedJvm() {}

  /** {@code JAVA_TOOL_OPTIONS} for the named service, or null for one the bench does not deploy. */
  static String options(String service) {
    return OPTIONS.get(service);
  }
}
