package dev.docmesh.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Medians, ranges and percentiles; nothing clever. */
final class Stats {
  private Stats() {}

  static double median(List<Double> xs) {
    double[] a = sorted(xs);
    int n = a.length;
    return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
  }

  static double min(List<Double> xs) {
    return sorted(xs)[0];
  }

  static double max(List<Double> xs) {
    double[] a = sorted(xs);
    return a[a.length - 1];
  }

  /** Nearest-rank percentile of nanosecond samples, in milliseconds. */
  static double percentileMillis(long[] nanos, double p) {
    if (nanos.length == 0) {
      return Double.NaN;
    }
    long[] a = nanos.clone();
    Arrays.sort(a);
    int rank = (int) Math.ceil(p / 100.0 * a.length);
    return a[Math.max(0, Math.min(a.length - 1, rank - 1))] / 1e6;
  }

  private static double[] sorted(List<Double> xs) {
    if (xs.isEmpty()) {
      throw new IllegalArgumentException("no samples");
    }
    double[] a = new ArrayList<>(xs).stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(a);
    return a;
  }
}
