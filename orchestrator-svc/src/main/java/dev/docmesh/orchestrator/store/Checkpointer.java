package dev.docmesh.orchestrator.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies SQLite's write-ahead log into the database file on a thread of its own. SQLite's automatic
 * checkpoint runs inside the commit that crosses 1000 log pages, with two fsyncs (the log before,
 * the database file after): under the engine's lock, that stalled every change behind the disk.
 * Here a PASSIVE checkpoint runs beside the writer (it never blocks it) every {@value #PERIOD_MS}
 * ms; the writer starts the log over once a checkpoint has copied all of it.
 */
final class Checkpointer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Checkpointer.class);
  static final long PERIOD_MS = 500;

  private final Connection connection;
  private final ScheduledExecutorService thread;

  Checkpointer(Connection connection) {
    this.connection = connection;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "sqlite-checkpoint");
              t.setDaemon(true);
              return t;
            });
    thread.scheduleWithFixedDelay(this::checkpoint, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
  }

  private void checkpoint() {
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
      // (busy, log frames, frames checkpointed): nothing to act on, the next run continues
      rs.next();
    } catch (SQLException e) {
      log.warn("checkpoint of the job store failed (retried): {}", e.getMessage());
    }
  }

  @Override
  public void close() {
    thread.shutdown();
    try {
      if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
        log.warn("checkpoint still running at close");
      }
      connection.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (SQLException e) {
      log.warn("closing the checkpoint connection: {}", e.getMessage());
    }
  }
}
