package dev.docmesh.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU time and voluntary context switches of each thread of the service JVMs (Linux {@code
 * /proc/PID/task/TID/schedstat} and {@code status}), grouped by thread name with the numbers taken
 * out ({@code grpc-default-worker-ELG-#-#}). On a virtual machine a thread woken from sleep costs
 * ~0.1–0.3 ms of CPU: how often each kind of thread is woken for a document says more about where a
 * mesh pass's CPU goes than a profile's frames do.
 */
final class ThreadTimes {
  /**
   * The JIT compilers' group: {@code C1 CompilerThre} and {@code C2 CompilerThre} (comm is 15
   * chars).
   */
  static final String COMPILER = "C# CompilerThre";

  /** service → thread group → {CPU ns, voluntary switches}, summed over the measured passes. */
  private final Map<String, Map<String, long[]>> totals = new LinkedHashMap<>();

  private int documents;

  /** The JVM {@code pid}'s threads now: group → {CPU ns, voluntary switches}. */
  static Map<String, long[]> read(long pid) {
    Map<String, long[]> out = new HashMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : tasks.toList()) {
        try {
          String group = Files.readString(task.resolve("comm")).strip().replaceAll("\\d+", "#");
          long ns = Long.parseLong(Files.readString(task.resolve("schedstat")).split(" ")[0]);
          long voluntary = 0;
          for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
              voluntary = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            }
          }
          long[] sum = out.computeIfAbsent(group, g -> new long[2]);
          sum[0] += ns;
          sum[1] += voluntary;
        } catch (IOException | RuntimeException threadGone) {
          // exited between the listing and the reads
        }
      }
    } catch (IOException e) {
      // not Linux, or the process is gone: no breakdown
    }
    return out;
  }

  /** Adds what {@code service}'s threads did between {@code before} and {@code after}. */
  void add(String service, Map<String, long[]> before, Map<String, long[]> after) {
    Map<String, long[]> into = totals.computeIfAbsent(service, s -> new HashMap<>());
    after.forEach(
        (group, now) -> {
          long[] then = before.getOrDefault(group, new long[2]);
          long[] sum = into.computeIfAbsent(group, g -> new long[2]);
          sum[0] += Math.max(0, now[0] - then[0]);
          sum[1] += Math.max(0, now[1] - then[1]);
        });
  }

  void documents(int n) {
    documents += n;
  }

  /** Markdown: per service, its threads' CPU-ms and wake-ups a document, busiest first. */
  String table() {
    if (documents == 0 || totals.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "%nPer thread, the measured mesh passes (%d documents; /proc schedstat and"
                + " voluntary_ctxt_switches):%n%n| service | thread | CPU-ms a document |"
                + " wake-ups a document |%n|---|---|---|---|%n",
            documents));
    totals.forEach(
        (service, groups) -> {
          long ns = groups.values().stream().mapToLong(v -> v[0]).sum();
          long wakeUps = groups.values().stream().mapToLong(v -> v[1]).sum();
          sb.append(row(service, "**all**", ns, wakeUps));
          groups.entrySet().stream()
              .filter(e -> e.getValue()[0] * 100 >= ns) // 1 % of the service's CPU or more
              .sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[0]))
              .forEach(e -> sb.append(row(service, e.getKey(), e.getValue()[0], e.getValue()[1])));
        });
    return sb.toString();
  }

  private String row(String service, String thread, long ns, long wakeUps) {
    return String.format(
        Locale.ROOT,
        "| %s | %s | %.2f | %.1f |%n",
        service,
        thread,
        ns / 1e6 / documents,
        (double) wakeUps / documents);
  }
}
