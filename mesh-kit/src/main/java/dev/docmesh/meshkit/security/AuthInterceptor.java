package dev.docmesh.meshkit.security;

import dev.docmesh.meshkit.grpc.Errors;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Optional;

/**
 * Authentication and authorization of every call against {@link Policy}: an RPC without an entry is
 * refused (PERMISSION_DENIED), missing or wrong credentials are UNAUTHENTICATED, a caller without a
 * permitted role is PERMISSION_DENIED; otherwise the call runs with its {@link Principal} in the
 * context ({@link AuthContext#current()}). With authentication off, every call with a policy entry
 * runs as {@link Principal#ANONYMOUS}.
 */
public final class AuthInterceptor implements ServerInterceptor {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Authenticator authenticator;

  public AuthInterceptor(Authenticator authenticator) {
    this.authenticator = authenticator;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    Optional<Policy.Rule> rule = Policy.ruleFor(method);
    if (rule.isEmpty()) {
      return refuse(
          call,
          Errors.withReason(
              Status.Code.PERMISSION_DENIED,
              "NO_POLICY",
              method + " has no access policy: refused"));
    }
    if (!authenticator.enabled()) {
      return next.startCall(call, headers);
    }
    if (rule.get() instanceof Policy.Open) {
      // open to all (health): the handler must not mistake the caller for ANONYMOUS, who holds
      // every role
      return Contexts.interceptCall(
          Context.current().withValue(AuthContext.PRINCIPAL, Principal.UNAUTHENTICATED),
          call,
          headers,
          next);
    }
    Optional<Principal> principal =
        authenticator.authenticate(
            headers.get(AUTHORIZATION), call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (principal.isEmpty()) {
      return refuse(
          call,
          Errors.withReason(
              Status.Code.UNAUTHENTICATED,
              "UNAUTHENTICATED",
              "missing or invalid credentials: send 'authorization: Bearer <token>' or a client certificate"));
    }
    if (rule.get() instanceof Policy.AnyOf anyOf
        && anyOf.roles().stream().noneMatch(principal.get()::hasRole)) {
      return refuse(
          call,
          Errors.withReason(
              Status.Code.PERMISSION_DENIED,
              "ROLE_REQUIRED",
              method + " needs one of the roles " + anyOf.roles()));
    }
    Context context = Context.current().withValue(AuthContext.PRINCIPAL, principal.get());
    return Contexts.interceptCall(context, call, headers, next);
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(
      ServerCall<Q, R> call, StatusRuntimeException e) {
    call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
    return new ServerCall.Listener<>() {};
  }
}
