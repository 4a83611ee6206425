package dev.docmesh.orchestrator.store;

/** The store could not do what was asked; nothing of that call was committed. */
public class StoreException extends RuntimeException {
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
