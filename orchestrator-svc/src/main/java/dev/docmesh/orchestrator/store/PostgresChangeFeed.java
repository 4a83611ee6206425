package dev.docmesh.orchestrator.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells this replica of the commits of the others: LISTEN on a connection of its own, one
 * notification per committed change ({@code <job id> <version> <replica>}, sent by the committing
 * transaction, so delivered only if and when it commits, in commit order), each batch passed on
 * only once the log is flushed past it. After a lost connection it reconnects and asks for a
 * resync, since notifications meanwhile are lost.
 */
final class PostgresChangeFeed implements AutoCloseable {
  static final String CHANNEL = "docmesh_jobs";
  private static final Logger log = LoggerFactory.getLogger(PostgresChangeFeed.class);

  private final PostgresDatabase db;
  private final String self;
  private final JobStore.ReplicaChanges changes;
  private final Runnable flush;
  private final Thread thread;
  private volatile boolean closed;
  private volatile Connection connection;

  /**
   * {@code flush} makes every commit so far durable (other replicas commit before their WAL flush).
   */
  PostgresChangeFeed(
      PostgresDatabase db, String self, JobStore.ReplicaChanges changes, Runnable flush)
      throws SQLException {
    this.db = db;
    this.self = self;
    this.changes = changes;
    this.flush = flush;
    // The first LISTEN is in place before the caller loads anything, so no commit falls between.
    this.connection = listen();
    this.thread = new Thread(this::run, "orchestrator-pg-listen");
    thread.setDaemon(true);
    thread.start();
  }

  private Connection listen() throws SQLException {
    Connection c = db.dedicated();
    try (Statement st = c.createStatement()) {
      st.execute("LISTEN " + CHANNEL);
    }
    return c;
  }

  private void run() {
    long backoffMs = 100;
    while (!closed) {
      try {
        if (connection == null) {
          connection = listen();
          log.info("LISTEN {} restored; resyncing", CHANNEL);
          flush.run();
          changes.resync();
          backoffMs = 100;
        }
        PGNotification[] batch = connection.unwrap(PGConnection.class).getNotifications(1000);
        if (batch == null || batch.length == 0) {
          continue;
        }
        // Another replica's change is visible before it is durable: flush first, then tell watchers
        // and pollers.
        flush.run();
        for (PGNotification n : batch) {
          deliver(n.getParameter());
        }
      } catch (SQLException | RuntimeException e) {
        if (closed) {
          return;
        }
        log.warn(
            "LISTEN {} failed ({}); reconnecting in {} ms", CHANNEL, e.getMessage(), backoffMs);
        closeQuietly();
        try {
          Thread.sleep(backoffMs);
        } catch (InterruptedException ie) {
          return;
        }
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  }

  private void deliver(String payload) {
    String[] p = payload.split(" ");
    if (p.length != 3 || p[2].equals(self)) {
      return;
    }
    changes.changed(p[0], Long.parseLong(p[1]));
  }

  private void closeQuietly() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // going away anyway
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    closeQuietly();
  }
}
