package dev.docmesh.meshkit.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A reflection client as grpcurl and buf curl are: it knows no message type, asks the server for
 * the file containing a symbol (v1 or v1alpha), builds descriptors from what comes back, and
 * decodes a failed call's {@code grpc-status-details-bin} into {@link DynamicMessage}s.
 */
public final class ReflectionClient {
  public enum Version {
    V1,
    V1ALPHA
  }

  private static final Metadata.Key<byte[]> STATUS_DETAILS =
      Metadata.Key.of("grpc-status-details-bin", Metadata.BINARY_BYTE_MARSHALLER);

  private final Channel channel;
  private final Version version;

  /** Every file the server sent, by name; descriptors are built from these only. */
  private final Map<String, FileDescriptorProto> files = new HashMap<>();

  private final Map<String, FileDescriptor> built = new HashMap<>();

  public ReflectionClient(Channel channel, Version version) {
    this.channel = channel;
    this.version = version;
  }

  /** The message type named {@code fullName}, described only by what the server sent. */
  public Descriptor messageType(String fullName) throws Exception {
    Descriptor d = fileDefining(fullName).findMessageTypeByName(simpleName(fullName));
    if (d == null || !d.getFullName().equals(fullName)) {
      throw new IllegalStateException("reflection's file does not define " + fullName);
    }
    return d;
  }

  /** The service named {@code fullName}, described only by what the server sent. */
  public ServiceDescriptor serviceType(String fullName) throws Exception {
    ServiceDescriptor d = fileDefining(fullName).findServiceByName(simpleName(fullName));
    if (d == null || !d.getFullName().equals(fullName)) {
      throw new IllegalStateException("reflection's file does not define " + fullName);
    }
    return d;
  }

  private static String simpleName(String fullName) {
    return fullName.substring(fullName.lastIndexOf('.') + 1);
  }

  private FileDescriptor fileDefining(String fullName) throws Exception {
    List<ByteString> protos = fileContainingSymbol(fullName);
    FileDescriptorProto first = null;
    for (ByteString b : protos) {
      FileDescriptorProto p = FileDescriptorProto.parseFrom(b);
      files.putIfAbsent(p.getName(), p);
      if (first == null) {
        first = p;
      }
    }
    if (first == null) {
      throw new IllegalStateException("reflection sent no file for " + fullName);
    }
    return build(first.getName());
  }

  /**
   * The status a failed call carries: google.rpc.Status and each detail, all decoded dynamically.
   */
  public DecodedStatus decode(StatusRuntimeException e) throws Exception {
    byte[] raw = e.getTrailers() == null ? null : e.getTrailers().get(STATUS_DETAILS);
    if (raw == null) {
      throw new IllegalStateException(
          "the call carried no grpc-status-details-bin: " + e.getStatus());
    }
    DynamicMessage status = DynamicMessage.parseFrom(messageType("google.rpc.Status"), raw);
    List<DynamicMessage> details = new ArrayList<>();
    var detailsField = status.getDescriptorForType().findFieldByName("details");
    for (int i = 0; i < status.getRepeatedFieldCount(detailsField); i++) {
      // the Any is itself dynamic: its type comes from reflection too (google/protobuf/any.proto)
      DynamicMessage any = (DynamicMessage) status.getRepeatedField(detailsField, i);
      String typeUrl = (String) DecodedStatus.field(any, "type_url");
      ByteString value = (ByteString) DecodedStatus.field(any, "value");
      details.add(
          DynamicMessage.parseFrom(
              messageType(typeUrl.substring(typeUrl.lastIndexOf('/') + 1)), value));
    }
    return new DecodedStatus(status, details);
  }

  public record DecodedStatus(DynamicMessage status, List<DynamicMessage> details) {
    public DynamicMessage detail(String fullName) {
      return details.stream()
          .filter(d -> d.getDescriptorForType().getFullName().equals(fullName))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no " + fullName + " among " + details));
    }

    /** A field of a decoded message by its proto name, as grpcurl would print it. */
    public static Object field(DynamicMessage m, String name) {
      var f = m.getDescriptorForType().findFieldByName(name);
      if (f == null) {
        throw new AssertionError(m.getDescriptorForType().getFullName() + " has no field " + name);
      }
      return m.getField(f);
    }
  }

  private FileDescriptor build(String name) throws Exception {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = files.get(name);
    if (proto == null) {
      for (ByteString b : fileByFilename(name)) {
        FileDescriptorProto p = FileDescriptorProto.parseFrom(b);
        files.putIfAbsent(p.getName(), p);
      }
      proto = files.get(name);
      if (proto == null) {
        throw new IllegalStateException("reflection does not know " + name);
      }
    }
    List<FileDescriptor> deps = new ArrayList<>();
    for (String dep : proto.getDependencyList()) {
      deps.add(build(dep));
    }
    FileDescriptor fd = FileDescriptor.buildFrom(proto, deps.toArray(FileDescriptor[]::new));
    built.put(name, fd);
    return fd;
  }

  private List<ByteString> fileContainingSymbol(String symbol) throws Exception {
    return version == Version.V1
        ? v1(
            io.grpc.reflection.v1.ServerReflectionRequest.newBuilder()
                .setFileContainingSymbol(symbol)
                .build())
        : v1alpha(
            io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
                .setFileContainingSymbol(symbol)
                .build());
  }

  private List<ByteString> fileByFilename(String file) throws Exception {
    return version == Version.V1
        ? v1(
            io.grpc.reflection.v1.ServerReflectionRequest.newBuilder()
                .setFileByFilename(file)
                .build())
        : v1alpha(
            io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
                .setFileByFilename(file)
                .build());
  }

  private List<ByteString> v1(io.grpc.reflection.v1.ServerReflectionRequest request)
      throws Exception {
    CompletableFuture<io.grpc.reflection.v1.ServerReflectionResponse> answer =
        new CompletableFuture<>();
    StreamObserver<io.grpc.reflection.v1.ServerReflectionRequest> requests =
        io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel)
            .serverReflectionInfo(observer(answer));
    requests.onNext(request);
    requests.onCompleted();
    var response = answer.get(10, TimeUnit.SECONDS);
    if (response.hasErrorResponse()) {
      throw new InvalidProtocolBufferException("reflection v1: " + response.getErrorResponse());
    }
    return response.getFileDescriptorResponse().getFileDescriptorProtoList();
  }

  @SuppressWarnings("deprecation") // v1alpha on purpose: older grpcurl speaks only it
  private List<ByteString> v1alpha(io.grpc.reflection.v1alpha.ServerReflectionRequest request)
      throws Exception {
    CompletableFuture<io.grpc.reflection.v1alpha.ServerReflectionResponse> answer =
        new CompletableFuture<>();
    StreamObserver<io.grpc.reflection.v1alpha.ServerReflectionRequest> requests =
        io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel)
            .serverReflectionInfo(observer(answer));
    requests.onNext(request);
    requests.onCompleted();
    var response = answer.get(10, TimeUnit.SECONDS);
    if (response.hasErrorResponse()) {
      throw new InvalidProtocolBufferException(
          "reflection v1alpha: " + response.getErrorResponse());
    }
    return response.getFileDescriptorResponse().getFileDescriptorProtoList();
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<T> answer) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        answer.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        answer.completeExceptionally(
            new IllegalStateException("reflection stream ended without an answer"));
      }
    };
  }
}
