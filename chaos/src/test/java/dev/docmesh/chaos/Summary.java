package dev.docmesh.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One row a scenario, printed at the end of the suite and written to target/chaos/summary.txt. */
final class Summary {
  static final class Row {
    final String scenario;
    int acknowledged;
    int succeeded;
    int submitRetries;
    final List<String> recoveries = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    final List<String> violations = new ArrayList<>();
    double seconds;

    Row(String scenario) {
      this.scenario = scenario;
    }

    boolean ok() {
      return violations.isEmpty();
    }
  }

  private final List<Row> rows = new ArrayList<>();

  synchronized void add(Row r) {
    rows.add(r);
  }

  synchronized String render() {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            "%-22s %5s %5s %7s %-44s %-3s %6s%n",
            "SCENARIO",
            "ACKED",
            "OK",
            "RETRIES",
            "RECOVERY (fault -> first task completed)",
            "INV",
            "TIME"));
    for (Row r : rows) {
      b.append(
          String.format(
              "%-22s %5d %5d %7d %-44s %-3s %5.0fs%n",
              r.scenario,
              r.acknowledged,
              r.succeeded,
              r.submitRetries,
              r.recoveries.isEmpty() ? "-" : String.join(", ", r.recoveries),
              r.ok() ? "✓" : "✗",
              r.seconds));
      for (String n : r.notes) {
        b.append("    ").append(n).append('\n');
      }
      for (String v : r.violations.subList(0, Math.min(r.violations.size(), 12))) {
        b.append("    ✗ ").append(v).append('\n');
      }
      if (r.violations.size() > 12) {
        b.append("    ✗ ... ").append(r.violations.size() - 12).append(" more\n");
      }
    }
    return b.toString();
  }

  void write(Path file) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, render());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
