package dev.docmesh.meshkit.security;

import io.grpc.Context;

/**
 * Where the authenticated {@link Principal} lives during a call. Only the gRPC edge reads it
 * ({@link #current()}); it passes the value down to the core as a plain domain value.
 */
public final class AuthContext {
  static final Context.Key<Principal> PRINCIPAL = Context.key("docmesh-principal");

  private AuthContext() {}

  /** The caller of the current call; {@link Principal#ANONYMOUS} when authentication is off. */
  public static Principal current() {
    Principal p = PRINCIPAL.get();
    return p == null ? Principal.ANONYMOUS : p;
  }

  /** A context carrying {@code principal}, e.g. for a test that calls a core directly. */
  public static Context with(Principal principal) {
    return Context.current().withValue(PRINCIPAL, principal);
  }
}
