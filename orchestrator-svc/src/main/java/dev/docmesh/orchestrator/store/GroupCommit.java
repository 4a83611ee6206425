package dev.docmesh.orchestrator.store;

import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes commits durable in groups and tells the world only afterwards.
 *
 * <p>SQLite in WAL mode with {@code synchronous=FULL} fsyncs the log at every commit, so concurrent
 * changes queue behind one another's fsync. Instead the store commits with {@code
 * synchronous=NORMAL} (the commit reaches the OS, which survives a process crash) and whoever needs
 * durability calls {@link #await}: one caller fsyncs the log for every commit made so far while the
 * others wait for that one fsync. What a change tells others (watch events, a poller's task) is
 * registered with {@link #after} and runs, in commit order, once its commit is durable.
 *
 * <p>When durability is off ({@code synchronous=NORMAL} chosen by the operator), actions run at
 * once.
 */
public final class GroupCommit {
  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

  /** What group commit needs of a store. */
  public interface Log {
    /** Number of the last committed write (counts from 1 in this process; 0 before any). */
    long lastCommit();

    /** Makes every committed write durable on disk (fsync of the log). */
    void sync();
  }

  private record Pending(long commit, Runnable action) {}

  private final Log store;
  private final boolean fsync;
  private final Object syncLock = new Object();
  private final Object runLock = new Object();
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private volatile long durable;

  public GroupCommit(Log store, boolean fsync) {
    this.store = store;
    this.fsync = fsync;
  }

  /**
   * Runs {@code action} once commit number {@code commit} is durable; actions run in the order
   * registered.
   */
  public void after(long commit, Runnable action) {
    if (!fsync) {
      action.run();
      return;
    }
    synchronized (pending) {
      pending.addLast(new Pending(commit, action));
    }
  }

  /** Returns once every commit made so far is durable, and runs the actions that became due. */
  public void await() {
    if (!fsync) {
      return;
    }
    long wanted = store.lastCommit();
    synchronized (syncLock) {
      if (durable < wanted) {
        // Everything committed up to now rides on this one fsync, also commits made after `wanted`.
        long covered = store.lastCommit();
        store.sync();
        durable = covered;
      }
    }
    runDue();
  }

  private void runDue() {
    synchronized (runLock) {
      while (true) {
        Pending p;
        synchronized (pending) {
          p = pending.peekFirst();
          if (p == null || p.commit > durable) {
            return;
          }
          pending.pollFirst();
        }
        try {
          p.action.run();
        } catch (RuntimeException e) {
          log.error("action after commit {} failed", p.commit, e);
        }
      }
    }
  }
}
