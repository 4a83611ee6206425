package dev.docmesh.orchestrator.store;

/**
 * Another replica committed a change of the job after this record was loaded: nothing was written;
 * reload the job and decide again.
 */
public final class StaleJobException extends StoreException {
  private final String jobId;

  public StaleJobException(String jobId) {
    super("job " + jobId + " was changed by another replica", null);
    this.jobId = jobId;
  }

  public String jobId() {
    return jobId;
  }
}
