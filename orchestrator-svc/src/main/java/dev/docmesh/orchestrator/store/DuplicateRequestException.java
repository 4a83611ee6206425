package dev.docmesh.orchestrator.store;

/**
 * A job with the same request id exists (made by a concurrent submit, maybe on another replica);
 * nothing was written.
 */
public final class DuplicateRequestException extends StoreException {
  private final String existingJobId;

  public DuplicateRequestException(String requestId, String existingJobId) {
    super("request " + requestId + " already made job " + existingJobId, null);
    this.existingJobId = existingJobId;
  }

  public String existingJobId() {
    return existingJobId;
  }
}
