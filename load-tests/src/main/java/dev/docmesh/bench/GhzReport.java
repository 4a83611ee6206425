package dev.docmesh.bench;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * {@code report DIR}: reads ghz's JSON reports ({@code <scenario>.json}) and the services' {@code
 * /metrics} taken before and after each scenario ({@code <scenario>.metrics-before}, {@code
 * -after}), and writes {@code summary.md} (one row a scenario) and {@code latency.png} (p50/p95/p99
 * a scenario). The same inputs give the same files, so two runs diff line by line.
 */
final class GhzReport {
  record Row(
      String scenario,
      String call,
      long count,
      double rps,
      double p50,
      double p95,
      double p99,
      Map<String, Long> codes,
      double cpuPer1k,
      String cpuBy) {}

  private GhzReport() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: report RESULTS_DIR");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    List<Row> rows = read(dir);
    if (rows.isEmpty()) {
      System.err.println("no ghz JSON report in " + dir);
      System.exit(1);
    }
    Files.writeString(dir.resolve("summary.md"), markdown(rows, header(dir)));
    plot(rows, dir.resolve("latency.png"));
    System.out.println(dir.resolve("summary.md") + "\n" + dir.resolve("latency.png"));
  }

  private static String header(Path dir) throws IOException {
    Path h = dir.resolve("run.txt");
    return Files.isRegularFile(h) ? Files.readString(h).strip() + "\n\n" : "";
  }

  static List<Row> read(Path dir) throws IOException {
    List<Row> rows = new ArrayList<>();
    List<Path> reports;
    try (Stream<Path> s = Files.list(dir)) {
      reports = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
    }
    for (Path p : reports) {
      JsonObject r = JsonParser.parseString(Files.readString(p)).getAsJsonObject();
      if (!r.has("latencyDistribution") && !r.has("count")) {
        continue; // not a ghz report
      }
      String scenario = p.getFileName().toString().replaceFirst("\\.json$", "");
      Map<Integer, Double> pct = new TreeMap<>();
      JsonElement dist = r.get("latencyDistribution");
      if (dist != null && dist.isJsonArray()) {
        for (JsonElement e : dist.getAsJsonArray()) {
          pct.put(
              e.getAsJsonObject().get("percentage").getAsInt(),
              e.getAsJsonObject().get("latency").getAsDouble() / 1e6);
        }
      }
      Map<String, Long> codes = new TreeMap<>();
      JsonElement sc = r.get("statusCodeDistribution");
      if (sc != null && sc.isJsonObject()) {
        sc.getAsJsonObject()
            .entrySet()
            .forEach(e -> codes.put(e.getKey(), e.getValue().getAsLong()));
      }
      long count = r.has("count") ? r.get("count").getAsLong() : 0;
      Map<String, Double> before = cpuByService(dir.resolve(scenario + ".metrics-before"));
      Map<String, Double> after = cpuByService(dir.resolve(scenario + ".metrics-after"));
      double total = 0;
      StringBuilder by = new StringBuilder();
      for (Map.Entry<String, Double> e : after.entrySet()) {
        Double b = before.get(e.getKey());
        if (b != null) {
          double d = e.getValue() - b;
          total += d;
          by.append(by.length() == 0 ? "" : ", ")
              .append(e.getKey())
              .append(' ')
              .append(String.format(Locale.ROOT, "%.2f", count == 0 ? 0 : d / count * 1000));
        }
      }
      String call =
          r.has("options") && r.getAsJsonObject("options").has("call")
              ? r.getAsJsonObject("options").get("call").getAsString()
              : "";
      rows.add(
          new Row(
              scenario,
              call,
              count,
              r.has("rps") ? r.get("rps").getAsDouble() : 0,
              pct.getOrDefault(50, Double.NaN),
              pct.getOrDefault(95, Double.NaN),
              pct.getOrDefault(99, Double.NaN),
              codes,
              after.isEmpty() || count == 0 ? Double.NaN : total / count * 1000,
              by.toString()));
    }
    return rows;
  }

  /**
   * process_cpu_seconds_total of each service in a file of concatenated /metrics pages, each after
   * "# service NAME".
   */
  static Map<String, Double> cpuByService(Path file) throws IOException {
    Map<String, Double> out = new LinkedHashMap<>();
    if (!Files.isRegularFile(file)) {
      return out;
    }
    String service = "?";
    for (String line : Files.readAllLines(file)) {
      if (line.startsWith("# service ")) {
        service = line.substring("# service ".length()).trim();
      } else if (line.startsWith("process_cpu_seconds_total ")) {
        out.put(
            service,
            Double.parseDouble(line.substring("process_cpu_seconds_total ".length()).trim()));
      }
    }
    return out;
  }

  static String markdown(List<Row> rows, String header) {
    StringBuilder sb = new StringBuilder(header);
    sb.append(
        "| scenario | call | calls | RPS | p50 ms | p95 ms | p99 ms | status codes | server CPU-s / 1k calls (all services) | by service |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      StringBuilder codes = new StringBuilder();
      r.codes()
          .forEach(
              (k, v) ->
                  codes.append(codes.length() == 0 ? "" : ", ").append(k).append(' ').append(v));
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %d | %.1f | %.2f | %.2f | %.2f | %s | %s | %s |%n",
              r.scenario(),
              r.call(),
              r.count(),
              r.rps(),
              r.p50(),
              r.p95(),
              r.p99(),
              codes,
              Double.isNaN(r.cpuPer1k()) ? "n/a" : String.format(Locale.ROOT, "%.2f", r.cpuPer1k()),
              r.cpuBy().isEmpty() ? "n/a" : r.cpuBy()));
    }
    sb.append(
        "\nstatus codes: every code ghz saw, OK included; server CPU from each service's process_cpu_seconds_total "
            + "before and after the scenario (other load on the machine during the run is counted too).\n");
    return sb.toString();
  }

  static void plot(List<Row> rows, Path png) throws IOException {
    int group = 150;
    int left = 70;
    int top = 40;
    int plotH = 320;
    int width = left + group * rows.size() + 20;
    int height = top + plotH + 120;
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, height);
    double max =
        rows.stream().mapToDouble(r -> Double.isNaN(r.p99()) ? 0 : r.p99()).max().orElse(1);
    max = niceCeiling(max);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.setColor(Color.BLACK);
    g.drawString("latency per scenario (ms): p50, p95, p99", left, 20);
    for (int i = 0; i <= 4; i++) {
      int y = top + plotH - plotH * i / 4;
      g.setColor(new Color(220, 220, 220));
      g.drawLine(left, y, width - 10, y);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.format(Locale.ROOT, "%.1f", max * i / 4), 10, y + 4);
    }
    Color[] colors = {new Color(0x4C78A8), new Color(0xF58518), new Color(0xE45756)};
    for (int s = 0; s < rows.size(); s++) {
      Row r = rows.get(s);
      double[] v = {r.p50(), r.p95(), r.p99()};
      int x0 = left + s * group + 15;
      for (int k = 0; k < 3; k++) {
        double val = Double.isNaN(v[k]) ? 0 : v[k];
        int h = (int) Math.round(plotH * val / max);
        g.setColor(colors[k]);
        g.fillRect(x0 + k * 40, top + plotH - h, 34, h);
      }
      g.setColor(Color.BLACK);
      Graphics2D rot = (Graphics2D) g.create();
      rot.translate(x0 + 10, top + plotH + 12);
      rot.rotate(Math.toRadians(20));
      rot.drawString(r.scenario(), 0, 0);
      rot.dispose();
    }
    g.setStroke(new BasicStroke(1));
    g.setColor(Color.BLACK);
    g.drawLine(left, top + plotH, width - 10, top + plotH);
    String[] names = {"p50", "p95", "p99"};
    for (int k = 0; k < 3; k++) {
      g.setColor(colors[k]);
      g.fillRect(width - 220 + k * 70, 8, 12, 12);
      g.setColor(Color.BLACK);
      g.drawString(names[k], width - 204 + k * 70, 19);
    }
    g.dispose();
    ImageIO.write(img, "png", png.toFile());
  }

  private static double niceCeiling(double v) {
    if (v <= 0) {
      return 1;
    }
    double mag = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * mag >= v) {
        return m * mag;
      }
    }
    return 10 * mag;
  }
}
