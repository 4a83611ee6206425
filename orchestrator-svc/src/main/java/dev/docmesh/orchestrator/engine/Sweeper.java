package dev.docmesh.orchestrator.engine;

import dev.docmesh.orchestrator.OrchestratorConfig;
import dev.docmesh.orchestrator.model.JobRecord;
import dev.docmesh.orchestrator.model.TaskRecord;
import dev.docmesh.orchestrator.store.BlobStore;
import dev.docmesh.orchestrator.store.JobStore;
import dev.docmesh.proto.orchestrator.v1.JobError;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The time-driven work: ended backoffs are dispatched, expired leases and attempts past their stage
 * timeout end (retried or failed), and retention removes old finished jobs and unused documents.
 * Runs under the engine's lock; the engine schedules it.
 */
final class Sweeper {
  private static final Logger log = LoggerFactory.getLogger(Sweeper.class);

  /** How an attempt ends: READY again at {@code retryAt}, or (null) failed for good. */
  interface AttemptEnd {
    void end(
        JobRecord job, TaskRecord t, JobError err, Instant retryAt, Instant now, String outcome);
  }

  private final OrchestratorConfig config;
  private final JobStore store;
  private final BlobStore blobs;
  private final JobTable jobs;
  private final Dispatcher dispatcher;
  private final AttemptEnd attemptEnd;

  Sweeper(
      OrchestratorConfig config,
      JobStore store,
      BlobStore blobs,
      JobTable jobs,
      Dispatcher dispatcher,
      AttemptEnd attemptEnd) {
    this.config = config;
    this.store = store;
    this.blobs = blobs;
    this.jobs = jobs;
    this.dispatcher = dispatcher;
    this.attemptEnd = attemptEnd;
  }

  void sweep(Instant now) {
    dispatcher.dispatchDue(now);
    for (JobRecord job : jobs.withLeases()) {
      try {
        sweep(job, now);
      } catch (ConcurrentChange another) {
        // another replica acted on the job first (one replica acts per item); it is reloaded, the
        // next sweep looks again
      }
    }
  }

  private void sweep(JobRecord job, Instant now) {
    {
      for (TaskRecord t : job.tasks()) {
        if (job.isTerminal()) {
          continue;
        }
        if (t.leaseExpired(now)) {
          JobError err =
              JobError.newBuilder()
                  .setStage(t.name())
                  .setCode("DEADLINE_EXCEEDED")
                  .setReason("LEASE_EXPIRED")
                  .setMessage(
                      "worker "
                          + t.workerId()
                          + " did not heartbeat within "
                          + config.leaseDuration())
                  .build();
          log.info("lease of {} (attempt {}) expired", t.taskId(), t.attempt());
          attemptEnd.end(job, t, err, t.hasAttemptsLeft() ? now : null, now, "lease_expired");
        } else if (t.attemptTimedOut(now)) {
          // Heartbeats prove the worker lives, not that the attempt ends: the stage timeout bounds
          // it.
          JobError err =
              JobError.newBuilder()
                  .setStage(t.name())
                  .setCode("DEADLINE_EXCEEDED")
                  .setReason("STAGE_TIMEOUT")
                  .setMessage(
                      "attempt "
                          + t.attempt()
                          + " ran longer than the stage timeout of "
                          + t.timeout())
                  .build();
          log.info("attempt {} of {} timed out", t.attempt(), t.taskId());
          attemptEnd.end(
              job,
              t,
              err,
              t.hasAttemptsLeft() ? now.plus(t.backoffAfter(t.attempt())) : null,
              now,
              "timed_out");
        }
      }
    }
  }

  /**
   * Deletes finished jobs and unused documents older than the retention; returns the documents
   * removed.
   */
  List<String> expireRetention(Instant now) {
    List<String> docs = store.expire(now.minus(config.retention()));
    if (!docs.isEmpty()) {
      store.flush(); // the rows are gone for good before the bytes go (writes may be grouped)
    }
    for (String d : docs) {
      try {
        blobs.delete(d);
      } catch (IOException e) {
        log.warn("cannot delete expired document {}: {}", d, e.getMessage());
      }
    }
    if (!docs.isEmpty()) {
      log.info("retention removed {} documents", docs.size());
    }
    return docs;
  }
}
