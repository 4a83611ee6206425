package dev.docmesh.meshkit.security;

import java.util.Set;

/**
 * Who is calling, as authentication established it: a plain value with no gRPC types, so a
 * service's gRPC edge can hand it to its core (e.g. as the owner of a job).
 *
 * @param name the token's name from the tokens file, or the client certificate's identity
 * @param roles what the caller may do; see {@link Roles} and {@link Policy}
 */
public record Principal(String name, Set<String> roles) {
  /** The caller when authentication is off: every role, so everything keeps working. */
  public static final Principal ANONYMOUS = new Principal("anonymous", Roles.ALL);

  /** The caller of an open RPC (health) while authentication is on: no roles at all. */
  public static final Principal UNAUTHENTICATED =
      new Principal("unauthenticated", java.util.Set.of());

  public Principal {
    roles = Set.copyOf(roles);
  }

  public boolean hasRole(String role) {
    return roles.contains(role);
  }

  /**
   * True when the caller may read every job, not only its own: operator and monitor (and {@link
   * #ANONYMOUS}, which holds every role).
   */
  public boolean seesAllJobs() {
    return roles.contains(Roles.OPERATOR) || roles.contains(Roles.MONITOR);
  }

  /**
   * The ownership rule of issue 14 for the orchestrator: a job owned by {@code owner} (the {@link
   * #name()} of the principal that submitted it) is visible to its owner and to those who see all
   * jobs; anyone else must get NOT_FOUND, exactly as for a missing job.
   */
  public boolean mayAccessJobOf(String owner) {
    return seesAllJobs() || name.equals(owner);
  }

  @Override
  public String toString() {
    return name + roles;
  }
}
