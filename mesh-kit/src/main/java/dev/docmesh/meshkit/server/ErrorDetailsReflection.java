package dev.docmesh.meshkit.server;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.rpc.CodeProto;
import com.google.rpc.ErrorDetailsProto;
import com.google.rpc.StatusProto;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoFileDescriptorSupplier;

/**
 * Lets server reflection (v1 and v1alpha) serve the {@code google.rpc} files — {@code Status},
 * {@code Code} and every error detail ({@code ErrorInfo}, {@code BadRequest}, {@code RetryInfo},
 * ...) — so grpcurl and buf curl print a failed call's details decoded instead of raw bytes.
 *
 * <p>grpc-java's reflection serves exactly the files of the services registered on the server and
 * everything they import; there is no other way to add a file. The details travel in trailers, not
 * in any request or response type, so no docmesh service file imports them. This method-less
 * service's file does, and that is its only purpose; it answers no call.
 */
final class ErrorDetailsReflection {
  /**
   * Listed by reflection next to the real services; {@code grpcurl describe} shows what it imports.
   */
  static final String SERVICE_NAME = "docmesh.errors.v1.ErrorDetails";

  private static final FileDescriptor FILE = build();

  private ErrorDetailsReflection() {}

  static ServerServiceDefinition definition() {
    ServiceDescriptor descriptor =
        ServiceDescriptor.newBuilder(SERVICE_NAME)
            .setSchemaDescriptor((ProtoFileDescriptorSupplier) () -> FILE)
            .build();
    return ServerServiceDefinition.builder(descriptor).build();
  }

  private static FileDescriptor build() {
    FileDescriptor[] imports = {
      StatusProto.getDescriptor(), CodeProto.getDescriptor(), ErrorDetailsProto.getDescriptor()
    };
    FileDescriptorProto.Builder file =
        FileDescriptorProto.newBuilder()
            .setName("docmesh/errors/v1/error_details.proto")
            .setPackage("docmesh.errors.v1")
            .setSyntax("proto3")
            .addService(ServiceDescriptorProto.newBuilder().setName("ErrorDetails"));
    for (FileDescriptor f : imports) {
      file.addDependency(f.getName());
    }
    try {
      return FileDescriptor.buildFrom(file.build(), imports);
    } catch (DescriptorValidationException e) {
      throw new IllegalStateException("cannot describe the google.rpc error details", e);
    }
  }
}
