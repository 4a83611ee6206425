package dev.docmesh.orchestrator.store;

import com.google.protobuf.ByteString;
import dev.docmesh.orchestrator.model.JobRecord;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The orchestrator's durable state. Every write is atomic and visible to every later read; it is
 * committed when the method returns, or, when the store groups writes ({@link
 * GroupCommit.Log#groupWrites}), by the next {@link #flush} or {@link #sync}; {@link #sync} makes
 * the writes so far durable (see {@link GroupCommit}). The engine answers a client or worker only
 * after that.
 */
public interface JobStore extends GroupCommit.Log, AutoCloseable {

  /**
   * Records a new job with its tasks and its uncommitted events.
   *
   * @throws DuplicateRequestException when a job with the same request id is stored already
   */
  void insert(JobRecord job);

  /**
   * Records the job's current state, its tasks, and its uncommitted events and outputs.
   *
   * @throws StaleJobException when another replica saved the job after {@code job} was loaded
   *     ({@link JobRecord#storeVersion()}); nothing is written
   */
  void save(JobRecord job);

  Optional<JobRecord> load(String jobId);

  /** Every job not yet in a terminal state (to rebuild the engine's memory at start-up). */
  List<JobRecord> loadUnfinished();

  /** The job {@code owner} submitted with {@code requestId} (deduplication is per principal). */
  Optional<String> jobIdForRequest(String owner, String requestId);

  /** Events of a job with a sequence greater than {@code afterSequence}, oldest first. */
  List<JobEvent> events(String jobId, long afterSequence, int limit);

  /** Stored outputs of a job by stage name. */
  Map<String, ByteString> outputs(String jobId);

  /**
   * Newest first; {@code afterJobId} continues a page (exclusive), empty for the first; only the
   * jobs of {@code owner} when present.
   */
  List<Job> list(
      Set<JobState> states,
      Map<String, String> labels,
      String pipeline,
      Optional<String> owner,
      String afterJobId,
      int limit);

  /** Records (or refreshes the retention clock of) a stored document. */
  void touchDocument(String documentId, long sizeBytes, Instant now);

  Optional<Long> documentSize(String documentId);

  /** Records that {@code principal} uploaded the document. */
  void addUploader(String documentId, String principal);

  /** True when {@code principal} uploaded the document or owns a job that uses it. */
  boolean mayUseDocument(String documentId, String principal);

  /**
   * Deletes finished jobs that ended before {@code cutoff}; then documents unused since then.
   * Returns the deleted document ids.
   */
  List<String> expire(Instant cutoff);

  /** What a replica learns of the commits of the others on a shared store. */
  interface ReplicaChanges {
    /** Another replica committed job {@code jobId} at {@code version}. */
    void changed(String jobId, long version);

    /**
     * Changes may have been missed (the notification connection was lost and is back): reload what
     * is held.
     */
    void resync();
  }

  /**
   * Starts telling {@code changes} of the commits of other replicas, in commit order. Returns false
   * when the store has no other writers (SQLite), and then never calls it.
   */
  default boolean listen(ReplicaChanges changes) {
    return false;
  }

  /**
   * Tells {@code reload} of the jobs whose writes a failed commit lost (see {@link GroupCommit}),
   * so memory can be reset to the store; until then the store refuses their writes. Only stores
   * that group writes lose any.
   */
  default void onLostJobs(java.util.function.Consumer<List<String>> reload) {}

  /**
   * A READY task reserved for this replica (several replicas on one store): its job's row is held
   * ({@code SELECT … FOR UPDATE SKIP LOCKED}) until the next {@link #save} of that job, which
   * writes the lease in the claim's transaction, or until {@link #close}, which gives the claim up.
   * Other replicas' claims skip the job meanwhile, so two replicas never lease the same task.
   */
  interface Claim extends AutoCloseable {
    String jobId();

    String stage();

    /** The job's stored version; the claim's save must name it. */
    long version();

    /** Gives the claim up unless a save used it (then a no-op). */
    @Override
    void close();
  }

  /**
   * The best task, READY and due by {@code now}, of one of {@code processors} (priority, then READY
   * time) whose job no other replica holds right now; empty when none. Only a store with other
   * writers claims ({@link #listen} true); with one writer the engine's memory decides alone.
   */
  default Optional<Claim> claimNext(Collection<String> processors, Instant now) {
    throw new UnsupportedOperationException("a store with one writer does not claim tasks");
  }

  /**
   * The job's row, for a lease of its task {@code stage} that the caller's record (memory) shows
   * READY: empty when another replica holds the job; else the caller compares {@link
   * Claim#version()} with its record's (an older record is not the truth).
   */
  default Optional<Claim> claim(String jobId, String stage) {
    throw new UnsupportedOperationException("a store with one writer does not claim tasks");
  }

  @Override
  void close();
}
