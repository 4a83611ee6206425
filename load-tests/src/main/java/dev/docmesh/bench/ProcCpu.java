package dev.docmesh.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time of a process from {@code /proc/<pid>/stat} (Linux): utime + stime. */
final class ProcCpu {
  /** USER_HZ is 100 on every Linux ABI that matters here (x86_64, arm64). */
  private static final double TICKS_PER_SECOND = 100.0;

  private ProcCpu() {}

  static double seconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      // the command name (field 2) may hold spaces and parentheses: count fields after the last ')'
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
      // f[0] is field 3 (state); utime is field 14, stime field 15
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read CPU time of pid " + pid + " (Linux /proc needed)", e);
    }
  }

  /** CPU seconds of this JVM. */
  static double self() {
    return seconds(ProcessHandle.current().pid());
  }

  /**
   * Seconds the JVM {@code pid} has spent compiling (HotSpot's {@code sun.ci.totalTime}, read by
   * {@code jstat -compiler} from its perf data without attaching): the JIT's share of its CPU,
   * which a short run of a service that does little per call is dominated by. NaN when jstat cannot
   * tell.
   */
  static double jitSeconds(long pid) {
    java.util.List<String> cmd =
        java.util.List.of(
            Path.of(System.getProperty("java.home"), "bin", "jstat").toString(),
            "-compiler",
            Long.toString(pid));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String[] lines = new String(p.getInputStream().readAllBytes()).strip().split("\n");
      p.waitFor();
      // Compiled Failed Invalid Time FailedType FailedMethod
      String[] f = lines[lines.length - 1].trim().split("\\s+");
      return Double.parseDouble(f[3]);
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Double.NaN;
    }
  }
}
