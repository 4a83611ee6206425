package dev.docmesh.meshkit.security;

import java.util.Set;

/** The roles a principal can hold; {@link Policy} says which RPCs each one may call. */
public final class Roles {
  /** Submits and reads its own jobs, lists pipelines and processors. */
  public static final String CLIENT = "client";

  /** A worker: the task queue and the processors. */
  public static final String WORKER = "worker";

  /** The monitor: telemetry and status reads of every service. */
  public static final String MONITOR = "monitor";

  /** A human operator: everything a client can, on every job, plus workers, drain and alerts. */
  public static final String OPERATOR = "operator";

  public static final Set<String> ALL = Set.of(CLIENT, WORKER, MONITOR, OPERATOR);

  private Roles() {}
}
