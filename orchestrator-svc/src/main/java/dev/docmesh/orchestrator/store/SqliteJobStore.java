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
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * {@link JobStore} on an SQLite file in WAL mode. SQLite has one writer, so writes share one
 * connection under one lock; reads use a second connection, which WAL lets run beside a write.
 * Under group commit the writes (each in a savepoint) share one open transaction until the next
 * {@link #flush} or {@link #sync}: N concurrent changes cost one commit and one fsync (see {@link
 * GroupCommit}). A {@link Checkpointer} copies the log into the file on a thread of its own.
 *
 * <p>Over 400 lines on purpose: it is the whole SQL of the {@link JobStore} contract (jobs, labels,
 * tasks, events, outputs, documents, retention) against one schema; split by table, each part would
 * need the connections and the transaction helper, and a change of the schema would touch several
 * files. A second backend (PostgreSQL) is a sibling class, not a part of this one.
 */
public final class SqliteJobStore implements JobStore {
  private static final Logger log = LoggerFactory.getLogger(SqliteJobStore.class);

  private final Connection writer;
  private final Connection reader;
  private final Object writeLock = new Object();
  private final Object readLock = new Object();
  private final Map<String, PreparedStatement> writerStatements = new java.util.HashMap<>();
  private final Map<String, PreparedStatement> readerStatements = new java.util.HashMap<>();
  private final Path wal;
  private final java.util.concurrent.atomic.AtomicLong commits =
      new java.util.concurrent.atomic.AtomicLong();
  private java.nio.channels.FileChannel walChannel;
  private final Checkpointer checkpointer;

  /** Writes share one transaction until the next flush (see {@link GroupCommit}). */
  private boolean grouped;

  /** Number of the last write that a commit made permanent (or that was lost). */
  private long committedUpTo;

  /** Jobs written in the open transaction. */
  private final java.util.Set<String> openJobs = new java.util.HashSet<>();

  /** Jobs whose write was lost: refused until loaded again (memory holds more than the file). */
  private final java.util.Set<String> lostJobs = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private GroupCommit.LostWrites lostWrites = (from, to, cause) -> {};
  private volatile java.util.function.Consumer<List<String>> lostJobsListener = jobs -> {};
  private final ThreadLocal<long[]> threadWrites = ThreadLocal.withInitial(() -> new long[2]);
  private final ThreadLocal<Long> lastWrite = ThreadLocal.withInitial(() -> 0L);

  /**
   * @param synchronous the SQLite pragma; with NORMAL, durability comes from {@link #sync} (group
   *     commit)
   */
  public SqliteJobStore(Path file, String synchronous) {
    this.wal = Path.of(file.toAbsolutePath() + "-wal");
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      SQLiteConfig cfg = new SQLiteConfig();
      cfg.setJournalMode(SQLiteConfig.JournalMode.WAL);
      cfg.setSynchronous(SQLiteConfig.SynchronousMode.valueOf(synchronous));
      cfg.setBusyTimeout(10_000);
      // A statement that changes several pages of a transaction (an output's overflow pages) keeps
      // a statement journal to undo only itself; past 64 KiB SQLite spills that to a temporary
      // file it creates, writes and deletes per statement (3 % of the orchestrator's CPU in the
      // mesh bench). It only ever undoes one statement, so memory is the right place for it.
      cfg.setTempStore(SQLiteConfig.TempStore.MEMORY);
      cfg.enforceForeignKeys(true);
      SQLiteDataSource ds = new SQLiteDataSource(cfg);
      ds.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
      Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
      writer = ds.getConnection();
      try (Statement st = writer.createStatement()) {
        // Checkpoints run on their own thread (Checkpointer), not inside a commit under the
        // engine's lock: a checkpoint fsyncs the log and the database file.
        st.execute("PRAGMA wal_autocheckpoint=0");
      }
      writer.setAutoCommit(false);
      reader = ds.getConnection();
      checkpointer = new Checkpointer(ds.getConnection());
      log.info("job store: {} (WAL, SQLite synchronous={})", file.toAbsolutePath(), synchronous);
    } catch (SQLException | java.io.IOException e) {
      throw new StoreException("cannot open job store " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void insert(JobRecord job) {
    write(
        job.id(),
        c -> {
          {
            PreparedStatement ps =
                prepared(
                    c,
                    "INSERT INTO jobs (id, request_id, state, pipeline, document_id, create_ms, end_ms, job, pipeline_def, password, tracestate,"
                        + " owner, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,1) ON CONFLICT (owner, request_id) DO NOTHING");
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
              throw new DuplicateRequestException(
                  job.requestId(), jobIdForRequest(c, job.owner(), job.requestId()).orElse(""));
            }
          }
          if (!job.labels().isEmpty()) {
            {
              PreparedStatement ps =
                  prepared(c, "INSERT INTO job_labels (job_id, key, value) VALUES (?,?,?)");
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
        });
    job.storeVersion(1);
  }

  @Override
  public void save(JobRecord job) {
    // The version check matters only to the contract (one writer here): a record older than the row
    // is refused.
    long next = job.storeVersion() + 1;
    write(
        job.id(),
        c -> {
          {
            PreparedStatement ps =
                prepared(
                    c,
                    "UPDATE jobs SET state = ?, end_ms = ?, job = ?, version = ? WHERE id = ? AND version = ?");
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

  private static void setEnd(PreparedStatement ps, int i, JobRecord job) throws SQLException {
    if (job.endTime() == null) {
      ps.setNull(i, Types.INTEGER);
    } else {
      ps.setLong(i, job.endTime().toEpochMilli());
    }
  }

  private void writeTasksEventsOutputs(Connection c, JobRecord job) throws SQLException {
    {
      PreparedStatement ps =
          prepared(
              c,
              "INSERT OR REPLACE INTO tasks (job_id, stage, lease_token, lease_expire_ms, ready_at_ms, ready_since_ms) VALUES (?,?,?,?,?,?)");
      boolean any = false;
      for (TaskRecord t : job.tasks()) {
        // the one writer here: a row as last committed (or loaded) is still what the file holds;
        // a failed write reloads the job, and with it the rows
        if (t.rowUnchanged()) {
          continue;
        }
        ps.setString(1, job.id());
        ps.setString(2, t.name());
        ps.setString(3, t.leaseToken());
        ps.setLong(4, t.leaseExpire().toEpochMilli());
        ps.setLong(5, t.readyAt().toEpochMilli());
        ps.setLong(6, t.readySince().toEpochMilli());
        ps.addBatch();
        any = true;
      }
      if (any) {
        ps.executeBatch();
      }
    }
    if (!job.uncommittedEvents().isEmpty()) {
      insertEvents(c, job);
    }
    if (!job.uncommittedOutputs().isEmpty()) {
      insertOutputs(c, job);
    }
  }

  private void insertEvents(Connection c, JobRecord job) throws SQLException {
    {
      PreparedStatement ps =
          prepared(c, "INSERT INTO events (job_id, sequence, event) VALUES (?,?,?)");
      for (JobEvent e : job.uncommittedEvents()) {
        ps.setString(1, job.id());
        ps.setLong(2, e.getSequence());
        ps.setBytes(3, e.toByteArray());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private void insertOutputs(Connection c, JobRecord job) throws SQLException {
    // A plain INSERT: a second output for a stage violates the primary key and rolls back the whole
    // change.
    {
      PreparedStatement ps =
          prepared(c, "INSERT INTO outputs (job_id, stage, output) VALUES (?,?,?)");
      for (Map.Entry<String, ByteString> e : job.uncommittedOutputs().entrySet()) {
        ps.setString(1, job.id());
        ps.setString(2, e.getKey());
        ps.setBytes(3, e.getValue().toByteArray());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  @Override
  public Optional<JobRecord> load(String jobId) {
    // read() commits what is open first, so this is the job as stored: a lost write is forgotten
    lostJobs.remove(jobId);
    return read(
        c -> {
          {
            PreparedStatement ps =
                prepared(
                    c,
                    "SELECT job, pipeline_def, password, tracestate, version FROM jobs WHERE id = ?");
            ps.setString(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(restore(c, rs)) : Optional.<JobRecord>empty();
            }
          }
        });
  }

  @Override
  public List<JobRecord> loadUnfinished() {
    return read(
        c -> {
          List<JobRecord> out = new ArrayList<>();
          {
            PreparedStatement ps =
                prepared(
                    c,
                    "SELECT job, pipeline_def, password, tracestate, version FROM jobs WHERE state IN (?, ?) ORDER BY id");
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

  private JobRecord restore(Connection c, ResultSet rs) throws SQLException {
    Job job = parse(() -> Job.parseFrom(rs.getBytes(1)));
    Pipeline pipeline = parse(() -> Pipeline.parseFrom(rs.getBytes(2)));
    JobRecord r = JobRecord.restore(job, pipeline, rs.getString(3), rs.getString(4));
    r.storeVersion(rs.getLong(5));
    {
      PreparedStatement ps =
          prepared(
              c,
              "SELECT stage, lease_token, lease_expire_ms, ready_at_ms, ready_since_ms FROM tasks WHERE job_id = ?");
      ps.setString(1, job.getId());
      try (ResultSet t = ps.executeQuery()) {
        while (t.next()) {
          TaskRecord task = r.task(t.getString(1));
          task.restoreLease(
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
    // On the writer: it sees the writes not yet committed (a submit's dedup check runs under the
    // engine's lock; a read there must not commit the open group of writes).
    synchronized (writeLock) {
      try {
        return jobIdForRequest(writer, owner, requestId);
      } catch (SQLException e) {
        forget(writerStatements);
        throw new StoreException("job store read failed: " + e.getMessage(), e);
      }
    }
  }

  private Optional<String> jobIdForRequest(Connection c, String owner, String requestId)
      throws SQLException {
    {
      PreparedStatement ps = prepared(c, "SELECT id FROM jobs WHERE owner = ? AND request_id = ?");
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
          {
            PreparedStatement ps =
                prepared(
                    c,
                    "SELECT event FROM events WHERE job_id = ? AND sequence > ? ORDER BY sequence LIMIT ?");
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
          {
            PreparedStatement ps =
                prepared(c, "SELECT stage, output FROM outputs WHERE job_id = ?");
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
        null,
        c -> {
          {
            PreparedStatement ps =
                prepared(
                    c,
                    "INSERT INTO documents (id, size_bytes, touched_ms) VALUES (?,?,?)"
                        + " ON CONFLICT (id) DO UPDATE SET touched_ms = excluded.touched_ms");
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
          {
            PreparedStatement ps = prepared(c, "SELECT size_bytes FROM documents WHERE id = ?");
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
        null,
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
                  "SELECT EXISTS (SELECT 1 FROM document_uploaders WHERE document_id = ?1 AND principal = ?2)"
                      + " OR EXISTS (SELECT 1 FROM jobs WHERE document_id = ?1 AND owner = ?2)")) {
            ps.setString(1, documentId);
            ps.setString(2, principal);
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
        null,
        c -> {
          long ms = cutoff.toEpochMilli();
          String finished = "SELECT id FROM jobs WHERE end_ms IS NOT NULL AND end_ms < " + ms;
          try (Statement st = c.createStatement()) {
            for (String table : List.of("events", "outputs", "tasks", "job_labels")) {
              st.executeUpdate("DELETE FROM " + table + " WHERE job_id IN (" + finished + ")");
            }
            st.executeUpdate("DELETE FROM jobs WHERE end_ms IS NOT NULL AND end_ms < " + ms);
            String unused =
                "SELECT id FROM documents d WHERE touched_ms < "
                    + ms
                    + " AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.document_id = d.id)";
            try (ResultSet rs = st.executeQuery(unused)) {
              while (rs.next()) {
                deletedDocs.add(rs.getString(1));
              }
            }
            st.executeUpdate(
                "DELETE FROM document_uploaders WHERE document_id IN (" + unused + ")");
            st.executeUpdate("DELETE FROM documents WHERE id IN (" + unused + ")");
          }
        });
    return deletedDocs;
  }

  @Override
  public long lastCommit() {
    return commits.get();
  }

  @Override
  public void sync() {
    flush();
    try {
      java.nio.channels.FileChannel c;
      synchronized (writeLock) {
        if (walChannel == null && Files.exists(wal)) {
          walChannel =
              java.nio.channels.FileChannel.open(wal, java.nio.file.StandardOpenOption.WRITE);
        }
        c = walChannel;
      }
      // fsync flushes the log file's pages whichever descriptor wrote them; writers may go on
      // meanwhile.
      if (c != null) {
        c.force(false);
      }
    } catch (java.io.IOException e) {
      throw new StoreException("cannot sync the job store log " + wal + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    checkpointer.close();
    try {
      flush();
    } catch (StoreException e) {
      log.warn("closing job store: {}", e.getMessage());
    }
    synchronized (writeLock) {
      if (walChannel != null) {
        try {
          walChannel.close();
        } catch (java.io.IOException e) {
          log.warn("closing {}: {}", wal, e.getMessage());
        }
      }
      synchronized (readLock) {
        try {
          reader.close();
          writer.close();
        } catch (SQLException e) {
          log.warn("closing job store: {}", e.getMessage());
        }
      }
    }
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

  /**
   * One write, numbered ({@link #lastCommit}), inside a savepoint: a refused write undoes only
   * itself. Grouped ({@link #groupWrites}), it stays in the open transaction for the next {@link
   * #flush}; otherwise it commits at once. When SQLite ends the whole transaction on its own (full
   * disk, I/O error), every write since the last commit is lost ({@link #loseOpenWrites}).
   */
  private void write(String jobId, SqlWork work) {
    List<String> lost = null;
    StoreException failure = null;
    boolean failed = false;
    synchronized (writeLock) {
      if (jobId != null && lostJobs.contains(jobId)) {
        throw new StoreException(
            "an earlier write of job " + jobId + " was lost; it must be loaded again", null);
      }
      try {
        statement("SAVEPOINT w").execute();
        work.run(writer);
        statement("RELEASE w").execute();
      } catch (SQLException | RuntimeException e) {
        forget(writerStatements); // none keeps a half-built batch into the next write
        failure =
            e instanceof StoreException se
                ? se
                : new StoreException("job store write failed: " + e.getMessage(), e);
        if (undo(e)) {
          throw failure;
        }
        lost = loseOpenWrites(failure);
        failed = true;
      }
      if (!failed) {
        numberWrite(jobId);
        if (grouped) {
          return;
        }
        try {
          writer.commit();
          committedUpTo = commits.get();
          openJobs.clear();
          return;
        } catch (SQLException e) {
          failure = new StoreException("job store write failed: " + e.getMessage(), e);
          lost = loseOpenWrites(failure);
        }
      }
    }
    lostJobsListener.accept(lost);
    throw failure;
  }

  /** Numbers a write that is done (under the write lock). */
  private void numberWrite(String jobId) {
    long n = commits.incrementAndGet();
    long[] mine = threadWrites.get();
    if (mine[0] == 0) {
      mine[0] = n;
    }
    mine[1] = n;
    lastWrite.set(n);
    if (jobId != null) {
      openJobs.add(jobId);
    }
  }

  /**
   * Undoes the failed write alone (the transaction, with the other writes of the group, stays
   * open); false when SQLite ended the whole transaction on its own.
   */
  private boolean undo(Exception e) {
    try {
      statement("ROLLBACK TO w").execute();
      statement("RELEASE w").execute();
      return true;
    } catch (SQLException gone) {
      e.addSuppressed(gone);
      return false;
    }
  }

  /**
   * The open transaction is gone: rolls back what is left of it, reports the writes it held as lost
   * (to group commit, under the write lock, before any sync can pass them) and marks their jobs so
   * that no write builds on what memory holds of them until they are loaded again. Returns those
   * jobs.
   */
  private List<String> loseOpenWrites(StoreException cause) {
    long from = committedUpTo + 1;
    long to = commits.get();
    committedUpTo = to;
    List<String> jobs = new ArrayList<>(openJobs);
    openJobs.clear();
    lostJobs.addAll(jobs);
    try {
      writer.rollback();
    } catch (SQLException r) {
      beginAgain();
    }
    forget(writerStatements);
    if (to >= from) {
      lostWrites.lost(from, to, cause);
    }
    return jobs;
  }

  /** Commits the open group of writes, without the fsync. */
  @Override
  public void flush() {
    List<String> lost;
    StoreException failure;
    synchronized (writeLock) {
      if (commits.get() == committedUpTo) {
        return;
      }
      try {
        writer.commit();
        committedUpTo = commits.get();
        openJobs.clear();
        return;
      } catch (SQLException e) {
        failure = new StoreException("job store commit failed: " + e.getMessage(), e);
        lost = loseOpenWrites(failure);
      }
    }
    lostJobsListener.accept(lost);
    throw failure;
  }

  @Override
  public void groupWrites(GroupCommit.LostWrites lost) {
    synchronized (writeLock) {
      this.lostWrites = lost;
      this.grouped = true;
    }
  }

  @Override
  public void onLostJobs(java.util.function.Consumer<List<String>> reload) {
    this.lostJobsListener = reload;
  }

  @Override
  public long lastWriteOfThisThread() {
    return lastWrite.get();
  }

  @Override
  public long[] takeWritesOfThisThread() {
    long[] mine = threadWrites.get();
    if (mine[0] == 0) {
      return null;
    }
    long[] out = mine.clone();
    mine[0] = 0;
    mine[1] = 0;
    return out;
  }

  private PreparedStatement statement(String sql) throws SQLException {
    return prepared(writer, sql);
  }

  /**
   * SQLite rolls a transaction back on its own after some errors (SQLITE_FULL, SQLITE_IOERR); the
   * driver's rollback then fails and does not open the next transaction, so every later statement
   * would commit on its own: a job half-saved would be durable. Open it here.
   */
  private void beginAgain() {
    try (java.sql.Statement st = writer.createStatement()) {
      st.execute("BEGIN");
    } catch (SQLException ignored) {
      // still inside a transaction: nothing to restore
    }
  }

  /**
   * The statement for {@code sql} on {@code c}, compiled once: SQLite compiles a statement on every
   * prepare, which cost more than the small writes themselves. Used under the connection's lock;
   * callers close their result sets, never the statement.
   */
  private PreparedStatement prepared(Connection c, String sql) throws SQLException {
    Map<String, PreparedStatement> cache = c == writer ? writerStatements : readerStatements;
    PreparedStatement ps = cache.get(sql);
    if (ps == null) {
      ps = c.prepareStatement(sql);
      cache.put(sql, ps);
    }
    return ps;
  }

  private static void forget(Map<String, PreparedStatement> statements) {
    for (PreparedStatement ps : statements.values()) {
      try {
        ps.close();
      } catch (SQLException ignored) {
        // closing a statement of a failed write: nothing left to release
      }
    }
    statements.clear();
  }

  private <T> T read(SqlRead<T> work) {
    // The reader sees committed writes only: commit what is open, so every read sees every write
    // made before it. Should that commit fail, its writes are lost (their writers are told, their
    // jobs reloaded) and what is committed is what there is: the read goes on.
    try {
      flush();
    } catch (StoreException lost) {
      log.warn("a read found the open group of writes uncommittable: {}", lost.getMessage());
    }
    synchronized (readLock) {
      try {
        return work.run(reader);
      } catch (SQLException e) {
        forget(readerStatements);
        throw new StoreException("job store read failed: " + e.getMessage(), e);
      }
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
