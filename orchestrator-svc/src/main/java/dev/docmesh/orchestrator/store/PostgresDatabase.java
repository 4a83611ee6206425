package dev.docmesh.orchestrator.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL database the replicas share: a HikariCP pool, the schema migrated by Flyway
 * ({@code db/postgres}; replicas starting together are serialized by Flyway's lock), and
 * connections outside the pool for LISTEN.
 */
public final class PostgresDatabase implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PostgresDatabase.class);

  /** {@code application_name} of the connections that LISTEN. */
  public static final String LISTENER_NAME = "docmesh-orchestrator-listen";

  private final String url;
  private final Properties credentials = new Properties();
  private final HikariDataSource pool;

  public PostgresDatabase(String url, String user, String password, int poolSize) {
    this.url = url;
    credentials.setProperty("user", user);
    credentials.setProperty("password", password);
    // Named in pg_stat_activity, so an operator (or a test) finds the LISTEN connection.
    credentials.setProperty("ApplicationName", LISTENER_NAME);
    HikariConfig cfg = new HikariConfig();
    cfg.setJdbcUrl(url);
    cfg.setUsername(user);
    cfg.setPassword(password);
    cfg.setMaximumPoolSize(poolSize);
    cfg.setPoolName("docmesh-orchestrator");
    cfg.setConnectionTimeout(10_000);
    // Commits return before their WAL flush; whoever must not tell the world before it is durable
    // waits for one flush shared by every commit so far (PostgresJobStore.sync, GroupCommit).
    // A transaction left open by mistake (a task claim holds its job's row) ends on the server
    // instead of blocking the other replicas' changes of that job for good.
    cfg.setConnectionInitSql(
        "SET synchronous_commit TO off; SET idle_in_transaction_session_timeout TO '30s'");
    cfg.addDataSourceProperty("ApplicationName", "docmesh-orchestrator");
    try {
      this.pool = new HikariDataSource(cfg);
    } catch (RuntimeException e) {
      throw new StoreException("cannot connect to PostgreSQL at " + url + ": " + e.getMessage(), e);
    }
    try {
      Flyway.configure()
          .dataSource(pool)
          .locations("classpath:db/postgres")
          .javaMigrations(new TaskClaimsBackfill())
          .load()
          .migrate();
    } catch (RuntimeException e) {
      pool.close();
      throw new StoreException(
          "cannot migrate the PostgreSQL schema at " + url + ": " + e.getMessage(), e);
    }
    log.info("job store: PostgreSQL {} (pool of {})", url, poolSize);
  }

  public DataSource pool() {
    return pool;
  }

  /** A connection of its own, outside the pool (LISTEN holds it for good). */
  Connection dedicated() throws SQLException {
    return DriverManager.getConnection(url, credentials);
  }

  @Override
  public void close() {
    pool.close();
  }
}
