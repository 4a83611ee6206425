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

  public Principal {
    roles = Set.copyOf(roles);
  }

  public boolean hasRole(String role) {
    return roles.contains(role);
  }

  /** True when the caller may act on every job, not only on its own (operator, or auth off). */
  public boolean seesAllJobs() {
    return roles.contains(Roles.OPERATOR) || roles.contains(Roles.MONITOR);
  }

  @Override
  public String toString() {
    return name + roles;
  }
}
