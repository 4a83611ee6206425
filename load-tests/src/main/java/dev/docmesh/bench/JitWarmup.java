package dev.docmesh.bench;

import java.util.Locale;

/**
 * Warm-up passes until the JIT compilers of the JVMs under test have settled. A fixed count was too
 * few for the orchestrator and the worker: a mesh pass is ~100 small tasks (1–2 s), and after 15–50
 * passes their C2 still took 20–35 % of their CPU in the measured passes — a one-off cost a
 * long-running service pays once, which the CPU rows then read as work a document. PDFBox's side
 * settles sooner, but is held to the same rule.
 */
final class JitWarmup {
  /** Default share of the CPU that may still go to compiling. */
  static final double SETTLED = 0.10;

  /** Default most warm-up passes (a mesh pass is 1–2 s; the mesh settled after ~60 here). */
  static final int MAX_PASSES = 150;

  private JitWarmup() {}

  /**
   * Runs {@code pass} at least {@code min} times, then on until two passes in a row spent at most
   * {@code settled} (0..1) of the CPU of {@code pids} on their JIT compilers, or {@code max} passes
   * ran. Returns the passes run.
   */
  static int run(String what, int min, int max, double settled, Runnable pass, long... pids) {
    int n = 0;
    int calm = 0;
    double share = Double.NaN;
    while (n < max && (n < min || calm < 2)) {
      double jit0 = ProcCpu.jitSeconds(pids);
      double cpu0 = ProcCpu.seconds(pids);
      pass.run();
      n++;
      double cpu = ProcCpu.seconds(pids) - cpu0;
      share = cpu > 0 ? (ProcCpu.jitSeconds(pids) - jit0) / cpu : 0;
      calm = share <= settled ? calm + 1 : 0;
      if (n % 10 == 0) {
        System.out.printf(
            Locale.ROOT, "  warm-up %s: %d passes, JIT %.0f %% of the CPU%n", what, n, share * 100);
      }
    }
    System.out.printf(
        Locale.ROOT,
        "  warm-up %s: %d passes%s, JIT %.0f %% of the CPU in the last%n",
        what,
        n,
        calm >= 2 ? "" : " (the limit; not settled)",
        share * 100);
    return n;
  }
}
