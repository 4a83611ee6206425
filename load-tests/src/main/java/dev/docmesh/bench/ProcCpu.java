package dev.docmesh.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

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

  /** CPU seconds of the JIT compiler threads of the JVMs {@code pids} together. */
  static double jitSeconds(long... pids) {
    double sum = 0;
    for (long pid : pids) {
      sum += jitSeconds(pid);
    }
    return sum;
  }

  /** A JVM's CPU and its JIT compilers' CPU at one moment. */
  record JitMark(long pid, double cpu, double jit) {
    static JitMark now(long pid) {
      return new JitMark(pid, seconds(pid), jitSeconds(pid));
    }

    /** Share (0..1) of the JVM's CPU since this mark that went to compiling; 0 if it used none. */
    double shareSince() {
      double used = seconds(pid) - cpu;
      return used > 0 ? (jitSeconds(pid) - jit) / used : 0;
    }
  }

  /** CPU seconds of this JVM. */
  static double self() {
    return seconds(ProcessHandle.current().pid());
  }

  /**
   * CPU seconds of the JVM {@code pid}'s JIT compiler threads ({@code C1/C2 CompilerThreadN} in
   * {@code /proc/<pid>/task/<tid>/comm}, read by {@link ThreadTimes}): what a short run of a
   * service that does little per call is dominated by. (HotSpot's own {@code sun.ci.totalTime} is
   * wall time of the compiles, which a loaded machine inflates past the CPU they took.) On 2 cores
   * the JVM runs one C1 and one C2 thread for its whole life, so no compiler thread's CPU is lost
   * to a thread exiting between two readings; with more cores dynamic compiler threads may come and
   * go and this undercounts.
   */
  static double jitSeconds(long pid) {
    Map<String, long[]> threads = ThreadTimes.read(pid);
    if (threads.isEmpty()) {
      return Double.NaN;
    }
    long[] compiler = threads.getOrDefault(ThreadTimes.COMPILER, new long[2]);
    return compiler[0] / 1e9;
  }
}
