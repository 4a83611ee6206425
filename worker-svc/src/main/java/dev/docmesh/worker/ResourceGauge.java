package dev.docmesh.worker;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;

/**
 * Local CPU and heap use against their limits: slots stop polling while either is above its limit,
 * the first step of backpressure. A limit of 1.0 turns that check off.
 */
final class ResourceGauge {
  private final double maxCpu;
  private final double maxHeap;
  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private final com.sun.management.OperatingSystemMXBean os;
  private volatile double cpu;

  ResourceGauge(double maxCpu, double maxHeap) {
    this.maxCpu = maxCpu;
    this.maxHeap = maxHeap;
    this.os =
        ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean sun
            ? sun
            : null;
  }

  /**
   * Takes a CPU sample; called periodically, since the JVM reports the load since the previous
   * call.
   */
  void sample() {
    if (os != null) {
      double load = os.getProcessCpuLoad();
      if (load >= 0) {
        cpu = load;
      }
    }
  }

  double cpuUsage() {
    return cpu;
  }

  long heapUsed() {
    return memory.getHeapMemoryUsage().getUsed();
  }

  long heapMax() {
    return max(memory.getHeapMemoryUsage());
  }

  private static long max(MemoryUsage heap) {
    return heap.getMax() > 0 ? heap.getMax() : heap.getCommitted();
  }

  /** Asked before every poll and lease: one reading of the heap (it walks every memory pool). */
  boolean overLimit() {
    if (maxCpu < 1.0 && cpu > maxCpu) {
      return true;
    }
    if (maxHeap >= 1.0) {
      return false;
    }
    MemoryUsage heap = memory.getHeapMemoryUsage();
    return heap.getUsed() > maxHeap * max(heap);
  }
}
