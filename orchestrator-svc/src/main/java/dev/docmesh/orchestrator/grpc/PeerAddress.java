package dev.docmesh.orchestrator.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.SocketAddress;

/** Puts the caller's address into the call's Context, for ListWorkers. */
public final class PeerAddress implements ServerInterceptor {
  static final Context.Key<String> KEY = Context.key("docmesh-peer");

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    SocketAddress a = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    return Contexts.interceptCall(
        Context.current().withValue(KEY, a == null ? "" : a.toString()), call, headers, next);
  }

  static String current() {
    String p = KEY.get();
    return p == null ? "" : p;
  }
}
