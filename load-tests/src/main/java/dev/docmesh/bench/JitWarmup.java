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
   * Runs {@code pass} at least {@code min} times, then on until two passes in a row in which each
   * of {@code pids} spent at most {@code settled} (0..1) of its own CPU on its JIT compilers, or
   * {@code max} passes ran. Each JVM on its own: summed, a busy harness JVM hid processor-svc's C2
   * still taking 19 % of that service's CPU in the measured pdf.text passes (async-profiler).
   * Returns the passes run.
   */
  static int run(String what, int min, int max, double settled, Runnable pass, long... pids) {
    int n = 0;
    int calm = 0;
    double share = Double.NaN;
    while (n < max && (n < min || calm < 2)) {
      ProcCpu.JitMark[] marks = new ProcCpu.JitMark[pids.length];
      for (int i = 0; i < pids.length; i++) {
        marks[i] = ProcCpu.JitMark.now(pids[i]);
      }
      pass.run();
      n++;
      share = 0;
      for (ProcCpu.JitMark m : marks) {
        share = Math.max(share, m.shareSince());
      }
      calm = share <= settled ? calm + 1 : 0;
      if (n % 10 == 0) {
        System.out.printf(
            Locale.ROOT,
            "  warm-up %s: %d passes, JIT %.0f %% of a JVM's CPU%n",
            what,
            n,
            share * 100);
      }
    }
    System.out.printf(
        Locale.ROOT,
        "  warm-up %s: %d passes%s, JIT at most %.0f %% of a JVM's CPU in the last%n",
        what,
        n,
        calm >= 2 ? "" : " (the limit; not settled)",
        share * 100);
    return n;
  }
}
