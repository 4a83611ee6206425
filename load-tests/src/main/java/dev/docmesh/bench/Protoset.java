package dev.docmesh.bench;

import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.FileDescriptor;
import dev.docmesh.proto.monitor.v1.MonitorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import dev.docmesh.proto.telemetry.v1.TelemetryServiceGrpc;
import dev.docmesh.proto.worker.v1.WorkerServiceGrpc;
import io.grpc.ServiceDescriptor;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.ProtoFileDescriptorSupplier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code java -cp docmesh-bench.jar dev.docmesh.bench.Protoset OUT}: every service a docmesh port
 * serves — the mesh's own and {@code grpc.health.v1} — as one protoset (a FileDescriptorSet with
 * all imports), for ghz and grpcurl where server reflection is off (overlay {@code
 * minikube-secure}: {@code DOCMESH_REFLECTION=false}).
 */
public final class Protoset {
  static final List<ServiceDescriptor> SERVICES =
      List.of(
          OrchestratorServiceGrpc.getServiceDescriptor(),
          TaskQueueServiceGrpc.getServiceDescriptor(),
          ProcessorServiceGrpc.getServiceDescriptor(),
          WorkerServiceGrpc.getServiceDescriptor(),
          MonitorServiceGrpc.getServiceDescriptor(),
          TelemetryServiceGrpc.getServiceDescriptor(),
          HealthGrpc.getServiceDescriptor());

  private Protoset() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: java -cp docmesh-bench.jar dev.docmesh.bench.Protoset OUT");
      System.exit(2);
    }
    write(Path.of(args[0]));
  }

  public static void write(Path out) throws IOException {
    if (out.getParent() != null) {
      Files.createDirectories(out.getParent());
    }
    Files.write(out, descriptorSet().toByteArray());
  }

  /** The files of {@link #SERVICES}, each after the files it imports. */
  public static FileDescriptorSet descriptorSet() {
    Map<String, FileDescriptor> files = new LinkedHashMap<>();
    for (ServiceDescriptor s : SERVICES) {
      add(((ProtoFileDescriptorSupplier) s.getSchemaDescriptor()).getFileDescriptor(), files);
    }
    FileDescriptorSet.Builder set = FileDescriptorSet.newBuilder();
    files.values().forEach(f -> set.addFile(f.toProto()));
    return set.build();
  }

  private static void add(FileDescriptor f, Map<String, FileDescriptor> files) {
    if (files.containsKey(f.getName())) {
      return;
    }
    for (FileDescriptor d : f.getDependencies()) {
      add(d, files);
    }
    files.put(f.getName(), f);
  }
}
