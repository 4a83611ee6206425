package dev.docmesh.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One measured figure next to its limit, both taken once per pass in the same run; the ratio is
 * taken per pass (the two sides of a pass ran back to back) and reported as median [min–max].
 */
final class Figure {
  final String name;
  final String unit;
  final String limitName;
  final boolean lowerIsBetter;
  final List<Double> values = new ArrayList<>();
  final List<Double> limits = new ArrayList<>();
  final List<Double> ratios = new ArrayList<>();
  String note = "";

  Figure(String name, String unit, String limitName, boolean lowerIsBetter) {
    this.name = name;
    this.unit = unit;
    this.limitName = limitName;
    this.lowerIsBetter = lowerIsBetter;
  }

  void add(double value, double limit) {
    values.add(value);
    limits.add(limit);
    ratios.add(value / limit);
    if (name.startsWith("warm-up")) {
      return;
    }
    System.out.printf(
        Locale.ROOT,
        "  pass %d  %-44s %10s %-8s limit %10s  ratio %.3f%n",
        values.size(),
        name,
        fmt(value),
        unit,
        fmt(limit),
        value / limit);
  }

  Figure note(String n) {
    this.note = n;
    return this;
  }

  boolean empty() {
    return values.isEmpty();
  }

  static String fmt(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    double a = Math.abs(v);
    if (a >= 1000) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (a >= 100) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    if (a >= 1) {
      return String.format(Locale.ROOT, "%.2f", v);
    }
    return String.format(Locale.ROOT, "%.3f", v);
  }

  static String range(List<Double> xs) {
    if (xs.isEmpty()) {
      return "n/a";
    }
    return fmt(Stats.median(xs)) + " [" + fmt(Stats.min(xs)) + "–" + fmt(Stats.max(xs)) + "]";
  }

  String markdownRow() {
    return "| "
        + name
        + " | "
        + range(values)
        + " "
        + unit
        + " | "
        + limitName
        + ": "
        + range(limits)
        + " "
        + unit
        + " | "
        + range(ratios)
        + (lowerIsBetter ? " (lower is better)" : "")
        + " |";
  }
}
