package dev.docmesh.orchestrator.store;

import dev.docmesh.orchestrator.Failure;
import java.io.IOException;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * Turns a refused write of the data directory (the SQLite job store or the blob store) into the one
 * domain failure clients retry: {@link Failure.StoreUnavailable}, STORE_FULL when the disk is full.
 * Full is recognised by what the platform reports, nowhere guessed from sizes: SQLite's result code
 * SQLITE_FULL (primary code 13, also within extended codes), or an I/O error whose message is the C
 * library's text for ENOSPC ("No space left on device"; Java's file channels and streams carry
 * strerror's text) or EDQUOT ("Disk quota exceeded"), or PostgreSQL's SQLSTATE 53100 disk_full (the
 * server could not extend a table or write its log). The rest of PostgreSQL's class 53,
 * insufficient resources (out of memory, too many connections, a configuration limit), says nothing
 * of space: those are STORE_UNAVAILABLE, retried sooner.
 */
public final class StoreFailures {
  /** Space rarely returns within a second; an operator or retention has to free it. */
  static final Duration FULL_RETRY = Duration.ofSeconds(5);

  static final Duration OTHER_RETRY = Duration.ofSeconds(1);
  private static final int SQLITE_FULL = SQLiteErrorCode.SQLITE_FULL.code;

  /** PostgreSQL's SQLSTATE disk_full. */
  private static final String PG_DISK_FULL = "53100";

  private StoreFailures() {}

  /** The failure for {@code e}, thrown while {@code doing} (e.g. "cannot store the document"). */
  public static Failure.StoreUnavailable of(String doing, Throwable e) {
    boolean full = diskFull(e);
    return new Failure.StoreUnavailable(
        doing
            + ": "
            + (full ? "the store is out of space" : "I/O error")
            + " ("
            + e.getMessage()
            + "); retry later",
        full,
        full ? FULL_RETRY : OTHER_RETRY,
        e);
  }

  /** True when {@code e} or anything it was caused by (or suppressed) says the disk is full. */
  public static boolean diskFull(Throwable e) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    return diskFull(e, seen);
  }

  private static boolean diskFull(Throwable e, Set<Throwable> seen) {
    if (e == null || !seen.add(e)) {
      return false;
    }
    // The driver names the primary code in its message ("[SQLITE_FULL] ..."); an extended code it
    // has no constant for reads as UNKNOWN_ERROR, so the message is the fallback.
    if (e instanceof SQLiteException s
        && ((s.getResultCode().code & 0xff) == SQLITE_FULL
            || String.valueOf(s.getMessage()).contains("[SQLITE_FULL]"))) {
      return true;
    }
    if (e instanceof java.sql.SQLException s) {
      if (s.getErrorCode() == SQLITE_FULL || PG_DISK_FULL.equals(s.getSQLState())) {
        return true;
      }
      // A batch names the statement that failed through its chain of next exceptions.
      if (diskFull(s.getNextException(), seen)) {
        return true;
      }
    }
    if (e instanceof IOException
        && e.getMessage() != null
        && (e.getMessage().contains("No space left on device")
            || e.getMessage().contains("Disk quota exceeded"))) {
      return true;
    }
    for (Throwable s : e.getSuppressed()) {
      if (diskFull(s, seen)) {
        return true;
      }
    }
    return diskFull(e.getCause(), seen);
  }
}
