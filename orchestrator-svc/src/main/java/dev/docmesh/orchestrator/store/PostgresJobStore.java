package dev.docmesh.orchestrator.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.docmesh.orchestrator.model.JobRecord;
import dev.docmesh.orchestrator.model.TaskRecord;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link JobStore} on a PostgreSQL database that several orchestrator replicas share. Each job row
 * carries a version: a save names the version its record was loaded at and writes nothing when
 * another replica saved in between ({@link StaleJobException}), so of two replicas acting on the
 * same job (leasing the same task, expiring the same lease) exactly one commits. A submit's request
 * id is unique across replicas ({@code ON CONFLICT}). Every commit notifies the other replicas in
 * the same transaction ({@link PostgresChangeFeed}).
 *
 * <p>Durability as with SQLite's group commit: the pool's transactions commit with {@code
 * synchronous_commit=off} (the commit returns before its WAL flush, so the engine's lock is not
 * held across a disk flush), and {@link #sync} commits one small transaction with {@code
 * synchronous_commit=on}, which flushes the WAL up to it: every commit so far, of any replica, is
 * then durable. The WAL is one sequence, so what a replica tells the world after its sync never
 * rests on another replica's change that could still be lost.
 *
 * <p>A sibling of {@link SqliteJobStore}, not a variant of it: same contract, other SQL (upserts,
 * versions, notifications, the advisory lock of retention).
 */
public final class PostgresJobStore implements JobStore {
  private static final Logger log = LoggerFactory.getLogger(PostgresJobStore.class);

  /** Retention runs on one replica at a time (pg_try_advisory_xact_lock key). */
  private static final long RETENTION_LOCK = 0x646f636d657368L;

  private final PostgresDatabase db;
  private final DataSource pool;
  private final String replicaId = UUID.randomUUID().toString();
  private final AtomicLong commits = new AtomicLong();
  private PostgresChangeFeed feed;

  public PostgresJobStore(PostgresDatabase db) {
    this.db = db;
    this.pool = db.pool();
  }

  /** Identifies this replica's notifications (its own changes need no reload). */
  public String replicaId() {
    return replicaId;
  }

  @Override
  public void insert(JobRecord job) {
    write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO jobs (id, request_id, state, pipeline, document_id, create_ms, end_ms, version, job, pipeline_def, password, tracestate,"
                      + " owner) VALUES (?,?,?,?,?,?,?,1,?,?,?,?,?) ON CONFLICT (owner, request_id) DO NOTHING")) {
            ps.setString(1, job.id());
            if (job.requestId().isEmpty()) {
              ps.setNull(2, Types.VARCHAR);
            } else {
              ps.setString(2, job.requestId());
            }
            ps.setInt(3, job.state().getNumber());
            ps.setString(4, job.pipelineName());
            ps.setString(5, job.document().getId());
            ps.setLong(6, job.createTime().toEpochMilli());
            setEnd(ps, 7, job);
            ps.setBytes(8, job.toProto().toByteArray());
            ps.setBytes(9, job.pipeline().toByteArray());
            ps.setString(10, job.password());
            ps.setString(11, job.tracestate());
            ps.setString(12, job.owner());
            if (ps.executeUpdate() == 0) {
              // The conflicting row is committed (ON CONFLICT waited for it), so it is visible now.
              throw new DuplicateRequestException(
                  job.requestId(), jobIdForRequest(c, job.owner(), job.requestId()).orElse(""));
            }
          }
          if (!job.labels().isEmpty()) {
            try (PreparedStatement ps =
                c.prepareStatement("INSERT INTO job_labels (job_id, key, value) VALUES (?,?,?)")) {
              for (Map.Entry<String, String> e : job.labels().entrySet()) {
                ps.setString(1, job.id());
                ps.setString(2, e.getKey());
                ps.setString(3, e.getValue());
                ps.addBatch();
              }
              ps.executeBatch();
            }
          }
          writeTasksEventsOutputs(c, job);
          notifyOthers(c, job.id(), 1);
        });
    job.storeVersion(1);
  }

  @Override
  public void save(JobRecord job) {
    long next = job.storeVersion() + 1;
    OpenClaim claim = claims.remove(job.id());
    write(
        claim,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE jobs SET state = ?, end_ms = ?, job = ?, version = ? WHERE id = ? AND version = ?")) {
            ps.setInt(1, job.state().getNumber());
            setEnd(ps, 2, job);
            ps.setBytes(3, job.toProto().toByteArray());
            ps.setLong(4, next);
            ps.setString(5, job.id());
            ps.setLong(6, job.storeVersion());
            if (ps.executeUpdate() != 1) {
              if (exists(c, job.id())) {
                throw new StaleJobException(job.id());
              }
              throw new SQLException("job " + job.id() + " is not stored");
            }
          }
          writeTasksEventsOutputs(c, job);
          notifyOthers(c, job.id(), next);
        });
    job.storeVersion(next);
  }

  private static boolean exists(Connection c, String jobId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM jobs WHERE id = ?")) {
      ps.setString(1, jobId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private void notifyOthers(Connection c, String jobId, long version) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
      ps.setString(1, PostgresChangeFeed.CHANNEL);
      ps.setString(2, jobId + " " + version + " " + replicaId);
      ps.execute();
    }
  }

  private static void setEnd(PreparedStatement ps, int i, JobRecord job) throws SQLException {
    if (job.endTime() == null) {
      ps.setNull(i, Types.BIGINT);
    } else {
      ps.setLong(i, job.endTime().toEpochMilli());
    }
  }

  private static void writeTasksEventsOutputs(Connection c, JobRecord job) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO tasks (job_id, stage, lease_token, lease_expire_ms, ready_at_ms, ready_since_ms, processor, priority, ready)"
                + " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (job_id, stage) DO UPDATE SET lease_token = excluded.lease_token,"
                + " lease_expire_ms = excluded.lease_expire_ms, ready_at_ms = excluded.ready_at_ms,"
                + " ready_since_ms = excluded.ready_since_ms, ready = excluded.ready")) {
      for (TaskRecord t : job.tasks()) {
        ps.setString(1, job.id());
        ps.setString(2, t.name());
        ps.setString(3, t.leaseToken());
        ps.setLong(4, t.leaseExpire().toEpochMilli());
        ps.setLong(5, t.readyAt().toEpochMilli());
        ps.setLong(6, t.readySince().toEpochMilli());
        ps.setString(7, t.processor());
        ps.setInt(8, job.priority());
        // What claims read: written with the job row's version, so a claim that holds the row
        // reads the state the row's message holds.
        ps.setBoolean(9, t.is(TaskState.TASK_STATE_READY));
        ps.addBatch();
      }
      ps.executeBatch();
    }
    if (!job.uncommittedEvents().isEmpty()) {
      try (PreparedStatement ps =
          c.prepareStatement("INSERT INTO events (job_id, sequence, event) VALUES (?,?,?)")) {
        for (JobEvent e : job.uncommittedEvents()) {
          ps.setString(1, job.id());
          ps.setLong(2, e.getSequence());
          ps.setBytes(3, e.toByteArray());
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
    if (!job.uncommittedOutputs().isEmpty()) {
      // A plain INSERT: a second output for a stage violates the primary key and rolls back the
      // whole change.
      try (PreparedStatement ps =
          c.prepareStatement("INSERT INTO outputs (job_id, stage, output) VALUES (?,?,?)")) {
        for (Map.Entry<String, ByteString> e : job.uncommittedOutputs().entrySet()) {
          ps.setString(1, job.id());
          ps.setString(2, e.getKey());
          ps.setBytes(3, e.getValue().toByteArray());
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
  }

  @Override
  public Optional<JobRecord> load(String jobId) {
    return snapshot(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT job, pipeline_def, password, tracestate, version FROM jobs WHERE id = ?")) {
            ps.setString(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(restore(c, rs)) : Optional.<JobRecord>empty();
            }
          }
        });
  }

  @Override
  public List<JobRecord> loadUnfinished() {
    return snapshot(
        c -> {
          List<JobRecord> out = new ArrayList<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT job, pipeline_def, password, tracestate, version FROM jobs WHERE state IN (?, ?) ORDER BY id")) {
            ps.setInt(1, JobState.JOB_STATE_QUEUED.getNumber());
            ps.setInt(2, JobState.JOB_STATE_RUNNING.getNumber());
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(restore(c, rs));
              }
            }
          }
          return out;
        });
  }

  private static JobRecord restore(Connection c, ResultSet rs) throws SQLException {
    Job job = parse(() -> Job.parseFrom(rs.getBytes(1)));
    Pipeline pipeline = parse(() -> Pipeline.parseFrom(rs.getBytes(2)));
    JobRecord r = JobRecord.restore(job, pipeline, rs.getString(3), rs.getString(4));
    r.storeVersion(rs.getLong(5));
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT stage, lease_token, lease_expire_ms, ready_at_ms, ready_since_ms FROM tasks WHERE job_id = ?")) {
      ps.setString(1, job.getId());
      try (ResultSet t = ps.executeQuery()) {
        while (t.next()) {
          r.task(t.getString(1))
              .restoreLease(
                  t.getString(2),
                  Instant.ofEpochMilli(t.getLong(3)),
                  Instant.ofEpochMilli(t.getLong(4)),
                  Instant.ofEpochMilli(t.getLong(5)));
        }
      }
    }
    return r;
  }

  @Override
  public Optional<String> jobIdForRequest(String owner, String requestId) {
    return read(c -> jobIdForRequest(c, owner, requestId));
  }

  private static Optional<String> jobIdForRequest(Connection c, String owner, String requestId)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT id FROM jobs WHERE owner = ? AND request_id = ?")) {
      ps.setString(1, owner);
      ps.setString(2, requestId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
      }
    }
  }

  @Override
  public List<JobEvent> events(String jobId, long afterSequence, int limit) {
    return read(
        c -> {
          List<JobEvent> out = new ArrayList<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT event FROM events WHERE job_id = ? AND sequence > ? ORDER BY sequence LIMIT ?")) {
            ps.setString(1, jobId);
            ps.setLong(2, afterSequence);
            ps.setInt(3, limit);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                byte[] b = rs.getBytes(1);
                out.add(parse(() -> JobEvent.parseFrom(b)));
              }
            }
          }
          return out;
        });
  }

  @Override
  public Map<String, ByteString> outputs(String jobId) {
    return read(
        c -> {
          Map<String, ByteString> out = new LinkedHashMap<>();
          try (PreparedStatement ps =
              c.prepareStatement("SELECT stage, output FROM outputs WHERE job_id = ?")) {
            ps.setString(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                byte[] b = rs.getBytes(2);
                out.put(rs.getString(1), UnsafeByteOperations.unsafeWrap(b)); // b is ours alone
              }
            }
          }
          return out;
        });
  }

  @Override
  public List<Job> list(
      Set<JobState> states,
      Map<String, String> labels,
      String pipeline,
      Optional<String> owner,
      String afterJobId,
      int limit) {
    JobListQuery query = new JobListQuery(states, labels, pipeline, owner, afterJobId, limit);
    return read(query::run);
  }

  @Override
  public void touchDocument(String documentId, long sizeBytes, Instant now) {
    write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO documents (id, size_bytes, touched_ms) VALUES (?,?,?)"
                      + " ON CONFLICT (id) DO UPDATE SET touched_ms = GREATEST(documents.touched_ms, excluded.touched_ms)")) {
            ps.setString(1, documentId);
            ps.setLong(2, sizeBytes);
            ps.setLong(3, now.toEpochMilli());
            ps.executeUpdate();
          }
        });
  }

  @Override
  public Optional<Long> documentSize(String documentId) {
    return read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT size_bytes FROM documents WHERE id = ?")) {
            ps.setString(1, documentId);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(rs.getLong(1)) : Optional.<Long>empty();
            }
          }
        });
  }

  @Override
  public void addUploader(String documentId, String principal) {
    write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO document_uploaders (document_id, principal) VALUES (?,?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, documentId);
            ps.setString(2, principal);
            ps.executeUpdate();
          }
        });
  }

  @Override
  public boolean mayUseDocument(String documentId, String principal) {
    return read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT EXISTS (SELECT 1 FROM document_uploaders WHERE document_id = ? AND principal = ?)"
                      + " OR EXISTS (SELECT 1 FROM jobs WHERE document_id = ? AND owner = ?)")) {
            ps.setString(1, documentId);
            ps.setString(2, principal);
            ps.setString(3, documentId);
            ps.setString(4, principal);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() && rs.getBoolean(1);
            }
          }
        });
  }

  @Override
  public List<String> expire(Instant cutoff) {
    List<String> deletedDocs = new ArrayList<>();
    write(
        c -> {
          try (PreparedStatement lock = c.prepareStatement("SELECT pg_try_advisory_xact_lock(?)")) {
            lock.setLong(1, RETENTION_LOCK);
            try (ResultSet rs = lock.executeQuery()) {
              rs.next();
              if (!rs.getBoolean(1)) {
                return; // another replica is at it right now
              }
            }
          }
          long ms = cutoff.toEpochMilli();
          String finished = "SELECT id FROM jobs WHERE end_ms IS NOT NULL AND end_ms < ?";
          for (String table : List.of("events", "outputs", "tasks", "job_labels")) {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "DELETE FROM " + table + " WHERE job_id IN (" + finished + ")")) {
              ps.setLong(1, ms);
              ps.executeUpdate();
            }
          }
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM jobs WHERE end_ms IS NOT NULL AND end_ms < ?")) {
            ps.setLong(1, ms);
            ps.executeUpdate();
          }
          // A document's uploaders go with it (an upload meanwhile touched it, so it is not among
          // these).
          try (PreparedStatement ps =
              c.prepareStatement(
                  "WITH gone AS (DELETE FROM documents d WHERE touched_ms < ?"
                      + " AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.document_id = d.id) RETURNING id),"
                      + " uploaders AS (DELETE FROM document_uploaders u WHERE u.document_id IN (SELECT id FROM gone))"
                      + " SELECT id FROM gone")) {
            ps.setLong(1, ms);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                deletedDocs.add(rs.getString(1));
              }
            }
          }
        });
    return deletedDocs;
  }

  /**
   * Candidates read per processor before the lock: the claim skips jobs other replicas hold (one
   * claim or save each at a time), far fewer than this; the inner limits let PostgreSQL merge the
   * processors' index scans in dispatch order instead of sorting every READY task.
   */
  private static final int CLAIM_CANDIDATES = 64;

  private final Map<Integer, String> claimNextSql = new ConcurrentHashMap<>();

  /**
   * Open claims by job id: a claim holds its job's row, so there is at most one per job; the next
   * save of the job commits in the claim's transaction.
   */
  private final Map<String, OpenClaim> claims = new ConcurrentHashMap<>();

  private final class OpenClaim implements Claim {
    final Connection connection;
    final String jobId;
    final String stage;
    final long version;

    OpenClaim(Connection connection, String jobId, String stage, long version) {
      this.connection = connection;
      this.jobId = jobId;
      this.stage = stage;
      this.version = version;
    }

    @Override
    public String jobId() {
      return jobId;
    }

    @Override
    public String stage() {
      return stage;
    }

    @Override
    public long version() {
      return version;
    }

    @Override
    public void close() {
      if (claims.remove(jobId, this)) {
        rollbackAndClose(connection);
      }
    }
  }

  @Override
  public Optional<Claim> claimNext(Collection<String> processors, Instant now) {
    if (processors.isEmpty()) {
      return Optional.empty();
    }
    String sql = claimNextSql.computeIfAbsent(processors.size(), PostgresJobStore::claimNextSql);
    return claim(
        sql,
        ps -> {
          int i = 1;
          for (String p : processors) {
            ps.setString(i++, p);
            ps.setLong(i++, now.toEpochMilli());
          }
        });
  }

  /**
   * One branch per processor, each the head of {@code tasks_ready} in dispatch order; the locking
   * clause names only {@code jobs}, so a job another replica holds is skipped, not waited for.
   */
  private static String claimNextSql(int processors) {
    String branch =
        "(SELECT job_id, stage, priority, ready_since_ms FROM tasks WHERE ready AND processor = ?"
            + " AND ready_at_ms <= ? ORDER BY priority DESC, ready_since_ms, job_id, stage LIMIT "
            + CLAIM_CANDIDATES
            + ")";
    return "SELECT r.job_id, r.stage, j.version FROM ("
        + String.join(" UNION ALL ", java.util.Collections.nCopies(processors, branch))
        + ") r JOIN jobs j ON j.id = r.job_id AND j.state IN ("
        + JobState.JOB_STATE_QUEUED.getNumber()
        + ", "
        + JobState.JOB_STATE_RUNNING.getNumber()
        + ") ORDER BY r.priority DESC, r.ready_since_ms, r.job_id, r.stage"
        + " LIMIT 1 FOR UPDATE OF j SKIP LOCKED";
  }

  /**
   * The job row alone: the caller's record at the row's version is the truth about the task, so
   * this does not depend on {@code tasks.ready} (rows a replica of a version before V3 wrote lack
   * it, and still reach pollers this way).
   */
  @Override
  public Optional<Claim> claim(String jobId, String stage) {
    return claim(
        "SELECT id, ?, version FROM jobs WHERE id = ? FOR UPDATE SKIP LOCKED",
        ps -> {
          ps.setString(1, stage);
          ps.setString(2, jobId);
        });
  }

  private interface Params {
    void set(PreparedStatement ps) throws SQLException;
  }

  /** Runs a claim query in a transaction that stays open, holding the row, when it finds one. */
  private Optional<Claim> claim(String sql, Params params) {
    Connection c = null;
    try {
      c = pool.getConnection();
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        params.set(ps);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            OpenClaim claim = new OpenClaim(c, rs.getString(1), rs.getString(2), rs.getLong(3));
            OpenClaim before = claims.put(claim.jobId, claim);
            if (before != null) { // cannot be: the row was free, so no claim of ours holds it
              rollbackAndClose(before.connection);
            }
            c = null;
            return Optional.of(claim);
          }
        }
      }
      return Optional.empty();
    } catch (SQLException e) {
      throw new StoreException("cannot claim a task: " + e.getMessage(), e);
    } finally {
      if (c != null) {
        rollbackAndClose(c);
      }
    }
  }

  private static void rollbackAndClose(Connection c) {
    try (c) {
      c.rollback();
    } catch (SQLException e) {
      log.debug("giving up a claim: {}", e.getMessage());
    }
  }

  @Override
  public synchronized boolean listen(ReplicaChanges changes) {
    if (feed != null) {
      throw new IllegalStateException("already listening");
    }
    try {
      feed = new PostgresChangeFeed(db, replicaId, changes, this::sync);
    } catch (SQLException e) {
      throw new StoreException("cannot LISTEN for other replicas' changes: " + e.getMessage(), e);
    }
    return true;
  }

  @Override
  public long lastCommit() {
    return commits.get();
  }

  @Override
  public void sync() {
    try (Connection c = pool.getConnection();
        java.sql.Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      try {
        st.execute("SET LOCAL synchronous_commit TO on");
        st.execute(
            "SELECT txid_current()"); // takes a transaction id, so the commit writes (and flushes)
        // a record
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot flush the PostgreSQL log: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void close() {
    if (feed != null) {
      feed.close();
    }
    log.debug("job store closed (replica {})", replicaId);
  }

  private interface SqlWork {
    void run(Connection c) throws SQLException;
  }

  private interface SqlRead<T> {
    T run(Connection c) throws SQLException;
  }

  private interface ProtoParse<T> {
    T parse() throws InvalidProtocolBufferException, SQLException;
  }

  private void write(SqlWork work) {
    write(null, work);
  }

  /** {@code work} in the transaction of {@code claim} when not null, else in one of its own. */
  private void write(OpenClaim claim, SqlWork work) {
    try (Connection c = claim != null ? claim.connection : pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        work.run(c);
        c.commit();
        commits.incrementAndGet();
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException r) {
          e.addSuppressed(r);
        }
        if (e instanceof StoreException se) {
          throw se;
        }
        throw new StoreException("job store write failed: " + e.getMessage(), e);
      }
    } catch (SQLException e) {
      throw new StoreException("job store unavailable: " + e.getMessage(), e);
    }
  }

  private <T> T read(SqlRead<T> work) {
    try (Connection c = pool.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw new StoreException("job store read failed: " + e.getMessage(), e);
    }
  }

  /** A read of several statements that must see one committed state (a job and its tasks). */
  private <T> T snapshot(SqlRead<T> work) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      c.setReadOnly(true);
      try {
        return work.run(c);
      } finally {
        c.rollback();
        c.setReadOnly(false);
        c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
      }
    } catch (SQLException e) {
      throw new StoreException("job store read failed: " + e.getMessage(), e);
    }
  }

  private static <T> T parse(ProtoParse<T> p) throws SQLException {
    try {
      return p.parse();
    } catch (InvalidProtocolBufferException e) {
      throw new SQLException("corrupt stored message: " + e.getMessage(), e);
    }
  }
}
