package dev.docmesh.meshkit.server;

import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Changes to a bound service that grpc-java's generated code has no hook for. */
public final class ServiceDefinitions {
  private ServiceDefinitions() {}

  /**
   * {@code service} with some of its methods bound to other handlers, matched by full method name:
   * typically the same method with other marshallers (a wire-compatible message type), made with
   * {@code MethodDescriptor.toBuilder(requestMarshaller, responseMarshaller)}. The service keeps
   * its schema descriptor, so reflection still describes the public contract.
   */
  public static ServerServiceDefinition replacing(
      ServerServiceDefinition service, ServerMethodDefinition<?, ?>... replacements) {
    Map<String, ServerMethodDefinition<?, ?>> byName = new HashMap<>();
    for (ServerMethodDefinition<?, ?> r : replacements) {
      byName.put(r.getMethodDescriptor().getFullMethodName(), r);
    }
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(original.getName())
            .setSchemaDescriptor(original.getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      ServerMethodDefinition<?, ?> bound =
          byName.getOrDefault(m.getMethodDescriptor().getFullMethodName(), m);
      byName.remove(bound.getMethodDescriptor().getFullMethodName());
      descriptor.addMethod(bound.getMethodDescriptor());
      methods.add(bound);
    }
    if (!byName.isEmpty()) {
      throw new IllegalArgumentException(
          original.getName() + " has no methods " + byName.keySet() + " to replace");
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(b::addMethod);
    return b.build();
  }
}
