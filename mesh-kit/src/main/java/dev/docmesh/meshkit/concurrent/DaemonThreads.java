package dev.docmesh.meshkit.concurrent;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Daemon threads named {@code <prefix>-<n>}: background work (timers, pools, HTTP) must never keep
 * a service's JVM alive after its server stopped.
 */
public final class DaemonThreads {
  private DaemonThreads() {}

  public static ThreadFactory factory(String prefix) {
    return factory(prefix, 0);
  }

  /** With {@code stackBytes} > 0, each thread gets that stack size (deeply recursive work). */
  public static ThreadFactory factory(String prefix, long stackBytes) {
    AtomicInteger n = new AtomicInteger();
    return r -> start(prefix + "-" + n.incrementAndGet(), stackBytes, r, false);
  }

  /** A started daemon thread running {@code body}. */
  public static Thread start(String name, Runnable body) {
    return start(name, 0, body, true);
  }

  private static Thread start(String name, long stackBytes, Runnable body, boolean start) {
    Thread t = new Thread(null, body, name, stackBytes);
    t.setDaemon(true);
    if (start) {
      t.start();
    }
    return t;
  }
}
