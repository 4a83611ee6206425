package dev.docmesh.orchestrator.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
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
 * <p>A store may go further ({@link Log#groupWrites}): its writes then share one open transaction,
 * and {@link Log#sync} commits it before the fsync, so N concurrent changes cost one commit and one
 * fsync. Should that commit fail, every write in it is lost: the store reports the range of write
 * numbers ({@link #lost}), their actions are dropped, and a caller whose own write is among them
 * gets a {@link StoreException} from {@link #await}.
 *
 * <p>When durability is off ({@code synchronous=NORMAL} chosen by the operator), actions run at
 * once and every write commits on its own.
 */
public final class GroupCommit {
  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

  /** What group commit needs of a store. */
  public interface Log {
    /** Number of the last write (counts from 1 in this process; 0 before any). */
    long lastCommit();

    /** Makes every write so far durable on disk (commits what is open, then fsync of the log). */
    void sync();

    /**
     * Lets the store keep its writes in one transaction until the next {@link #sync} or {@link
     * #flush}; {@code lost} hears of the writes a failed commit lost. Stores that commit every
     * write on its own ignore it.
     */
    default void groupWrites(LostWrites lost) {}

    /** Commits the writes so far, without the fsync (a no-op when every write commits itself). */
    default void flush() {}

    /** Number of this thread's last write; {@link #lastCommit} when the store does not track it. */
    default long lastWriteOfThisThread() {
      return lastCommit();
    }

    /**
     * First and last number of this thread's writes since it last asked, and forgets them; null
     * when there were none or the store does not track them.
     */
    default long[] takeWritesOfThisThread() {
      return null;
    }
  }

  /** Writes numbered {@code from} to {@code to} were never committed, for {@code cause}. */
  public interface LostWrites {
    void lost(long from, long to, Throwable cause);
  }

  /**
   * An action due once {@code commit} is durable. An answer ({@code refuse} set) is refused instead
   * when a write of its own ({@code from} to {@code to}) is lost or the sync covering it fails; a
   * plain action is dropped when its own write is lost and waits for the next sync when one fails.
   */
  private record Pending(
      long commit, Runnable action, long from, long to, Consumer<StoreException> refuse) {
    boolean isAnswer() {
      return refuse != null;
    }
  }

  private final Log store;
  private final boolean fsync;
  private final Object syncLock = new Object();
  private final Object runLock = new Object();
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private volatile long durable;

  /** Lost writes, oldest first (failed commits: rare, kept few). */
  private final ArrayDeque<LostRange> lostRanges = new ArrayDeque<>();

  private record LostRange(long from, long to, Throwable cause) {}

  private static final int LOST_RANGES_KEPT = 64;

  public GroupCommit(Log store, boolean fsync) {
    this.store = store;
    this.fsync = fsync;
    if (fsync) {
      store.groupWrites(this::lost);
    }
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
      if (lostLocked(commit, commit) == null) { // a write lost before its action came: never told
        pending.addLast(new Pending(commit, action, 0, -1, null));
      }
    }
  }

  /**
   * Runs {@code answer} once every commit made so far is durable, without waiting for it here: the
   * thread that syncs next runs it. {@code refuse} runs instead should one of this thread's writes
   * since its last call be lost, or that sync fail. Someone must sync: see {@link #await}.
   */
  public void whenDurable(Runnable answer, Consumer<StoreException> refuse) {
    long[] mine = store.takeWritesOfThisThread();
    long from = mine == null ? 0 : mine[0];
    long to = mine == null ? -1 : mine[1];
    if (!fsync) {
      LostRange lost = lostRange(from, to);
      if (lost == null) {
        answer.run();
      } else {
        refuse.accept(lostWrite(lost));
      }
      return;
    }
    LostRange lost;
    synchronized (pending) {
      lost = lostLocked(from, to);
      if (lost == null) {
        pending.addLast(new Pending(store.lastCommit(), answer, from, to, refuse));
        return;
      }
    }
    refuse.accept(lostWrite(lost));
  }

  /**
   * Returns once every commit made so far is durable, and runs the actions that became due.
   *
   * @throws StoreException when the sync failed, or a write this thread made since its last call
   *     was lost
   */
  public void await() {
    await(Long.MAX_VALUE);
  }

  /**
   * Returns once write number {@code write} is durable, at once when it already is, and runs the
   * actions that became due. For a reader whose answer shows only what that write and the ones
   * before it stored: the commits made since need not wait for an fsync of their own, so reading a
   * settled job costs none.
   *
   * @throws StoreException when the sync failed, or {@code write} or a write this thread made since
   *     its last call was lost
   */
  public void await(long write) {
    long[] mine = store.takeWritesOfThisThread();
    if (fsync) {
      long wanted = Math.min(write, store.lastCommit());
      if (durable < wanted) {
        synchronized (syncLock) {
          if (durable < wanted) {
            // Everything written up to now rides on this one fsync, also writes made after
            // `wanted`.
            long covered = store.lastCommit();
            try {
              store.sync();
            } catch (StoreException e) {
              refuseAnswers(covered, e);
              throw e;
            }
            durable = covered;
          }
        }
      }
      runDue();
    }
    LostRange lost = mine == null ? null : lostRange(mine[0], mine[1]);
    if (lost == null && write != Long.MAX_VALUE) {
      lost = lostRange(write, write);
    }
    if (lost != null) {
      throw lostWrite(lost);
    }
  }

  private static StoreException lostWrite(LostRange lost) {
    return new StoreException(
        "the commit that held this change failed; nothing of it was stored", lost.cause);
  }

  /**
   * A sync covering commits up to {@code covered} failed: the answers waiting on it are refused.
   */
  private void refuseAnswers(long covered, StoreException cause) {
    List<Pending> refused = new ArrayList<>();
    synchronized (pending) {
      pending.removeIf(
          p -> {
            boolean due = p.isAnswer() && p.commit <= covered;
            if (due) {
              refused.add(p);
            }
            return due;
          });
    }
    refused.forEach(p -> refuseQuietly(p, cause));
  }

  private static void refuseQuietly(Pending p, StoreException cause) {
    try {
      p.refuse.accept(cause);
    } catch (RuntimeException e) {
      log.error("refusing an answer after commit {} failed", p.commit, e);
    }
  }

  /** Whether any write numbered {@code from} to {@code to} was lost. */
  public boolean isLost(long from, long to) {
    return lostRange(from, to) != null;
  }

  private LostRange lostRange(long from, long to) {
    synchronized (pending) {
      return lostLocked(from, to);
    }
  }

  private LostRange lostLocked(long from, long to) {
    for (LostRange r : lostRanges) {
      if (r.from <= to && from <= r.to) {
        return r;
      }
    }
    return null;
  }

  /** Writes {@code from} to {@code to} were lost: their actions never run. */
  void lost(long from, long to, Throwable cause) {
    log.error("a commit failed: writes {} to {} are lost: {}", from, to, cause.getMessage());
    LostRange range = new LostRange(from, to, cause);
    List<Pending> refused = new ArrayList<>();
    synchronized (pending) {
      lostRanges.addLast(range);
      if (lostRanges.size() > LOST_RANGES_KEPT) {
        lostRanges.pollFirst();
      }
      // An answer goes by its own writes (the commit it waits for may be another's, and a later
      // sync still covers it); a plain action by the write it was registered with.
      pending.removeIf(
          p -> {
            if (p.isAnswer()) {
              boolean mine = p.from <= to && from <= p.to;
              if (mine) {
                refused.add(p);
              }
              return mine;
            }
            return p.commit >= from && p.commit <= to;
          });
    }
    StoreException e = lostWrite(range);
    refused.forEach(p -> refuseQuietly(p, e));
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
