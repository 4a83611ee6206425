package dev.docmesh.orchestrator.engine;

/**
 * Another replica changed the job first (postgres): nothing was written, memory now holds the job
 * as stored ({@link ReplicaSync}), and the change is decided again on that.
 */
final class ConcurrentChange extends RuntimeException {
  ConcurrentChange(String jobId) {
    super("job " + jobId + " was changed by another replica", null, false, false);
  }
}
