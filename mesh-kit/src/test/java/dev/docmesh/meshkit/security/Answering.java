package dev.docmesh.meshkit.security;

import dev.docmesh.proto.monitor.v1.MonitorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import dev.docmesh.proto.telemetry.v1.TelemetryServiceGrpc;
import dev.docmesh.proto.worker.v1.WorkerServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Every docmesh service as a server that answers each RPC with an empty response and records who
 * called, and a client that calls any RPC with an empty request: what a test of the security layer
 * needs, independent of the services' own logic.
 */
final class Answering {
  /** The services a MeshServer can be given (it adds TelemetryService itself). */
  static final List<ServiceDescriptor> APPLICATION_SERVICES =
      List.of(
          OrchestratorServiceGrpc.getServiceDescriptor(),
          TaskQueueServiceGrpc.getServiceDescriptor(),
          ProcessorServiceGrpc.getServiceDescriptor(),
          WorkerServiceGrpc.getServiceDescriptor(),
          MonitorServiceGrpc.getServiceDescriptor());

  static final List<ServiceDescriptor> ALL_SERVICES =
      List.of(
          OrchestratorServiceGrpc.getServiceDescriptor(),
          TaskQueueServiceGrpc.getServiceDescriptor(),
          ProcessorServiceGrpc.getServiceDescriptor(),
          WorkerServiceGrpc.getServiceDescriptor(),
          MonitorServiceGrpc.getServiceDescriptor(),
          TelemetryServiceGrpc.getServiceDescriptor());

  private Answering() {}

  static ServerServiceDefinition service(ServiceDescriptor sd, Queue<Principal> callers) {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(sd);
    for (MethodDescriptor<?, ?> m : sd.getMethods()) {
      add(b, m, callers);
    }
    return b.build();
  }

  private static <Q, R> void add(
      ServerServiceDefinition.Builder b, MethodDescriptor<Q, R> m, Queue<Principal> callers) {
    R response = prototype(m.getResponseMarshaller());
    b.addMethod(
        m,
        (ServerCall<Q, R> call, Metadata headers) -> {
          call.request(Integer.MAX_VALUE);
          // headers at once: a client holding the call open can see its connection (TLS session);
          // grpc-java flushes them at once only for server-streaming methods (see TlsTest)
          call.sendHeaders(new Metadata());
          return new ServerCall.Listener<Q>() {
            @Override
            public void onHalfClose() {
              callers.add(AuthContext.current());
              call.sendMessage(response);
              call.close(Status.OK, new Metadata());
            }
          };
        });
  }

  /**
   * Calls {@code m} with an empty request (and {@code token} when not null); the call's final
   * status.
   */
  static <Q, R> Status call(Channel channel, MethodDescriptor<Q, R> m, String token)
      throws Exception {
    CompletableFuture<Status> done = new CompletableFuture<>();
    ClientCall<Q, R> c =
        channel.newCall(m, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
    Metadata headers = new Metadata();
    if (token != null) {
      headers.put(AuthInterceptor.AUTHORIZATION, "Bearer " + token);
    }
    c.start(
        new ClientCall.Listener<R>() {
          @Override
          public void onClose(Status status, Metadata trailers) {
            done.complete(status);
          }
        },
        headers);
    c.request(Integer.MAX_VALUE);
    c.sendMessage(prototype(m.getRequestMarshaller()));
    c.halfClose();
    return done.get(60, TimeUnit.SECONDS);
  }

  @SuppressWarnings("unchecked")
  private static <T> T prototype(MethodDescriptor.Marshaller<T> marshaller) {
    return ((MethodDescriptor.PrototypeMarshaller<T>) marshaller).getMessagePrototype();
  }
}
