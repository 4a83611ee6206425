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
}
