package dev.docmesh.cli;

import dev.docmesh.meshkit.security.BearerToken;
import dev.docmesh.meshkit.security.MeshChannels;
import dev.docmesh.meshkit.security.TlsFiles;
import dev.docmesh.proto.monitor.v1.MonitorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Channels and stubs for one command; closed when the command ends. */
final class Clients implements AutoCloseable {
  private final GlobalOptions options;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final TlsFiles tls;
  private final MeshChannels factory;

  Clients(GlobalOptions options) {
    this.options = options;
    this.tls =
        new TlsFiles(
            path(options.tlsCert),
            path(options.tlsKey),
            path(options.tlsCa),
            Duration.ofMinutes(1));
    Optional<BearerToken> token =
        blank(options.token)
            ? path(System.getenv("DOCMESH_TOKEN_FILE")).map(BearerToken::fromFile)
            : Optional.of(BearerToken.of(options.token));
    this.factory = new MeshChannels(tls, token);
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static Optional<Path> path(String s) {
    return blank(s) ? Optional.empty() : Optional.of(Path.of(s.trim()));
  }

  OrchestratorServiceGrpc.OrchestratorServiceBlockingStub orchestrator() {
    return OrchestratorServiceGrpc.newBlockingStub(channel(options.target))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  OrchestratorServiceGrpc.OrchestratorServiceStub orchestratorAsync() {
    return OrchestratorServiceGrpc.newStub(channel(options.target));
  }

  MonitorServiceGrpc.MonitorServiceBlockingStub monitor() {
    return MonitorServiceGrpc.newBlockingStub(channel(options.monitorTarget))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  MonitorServiceGrpc.MonitorServiceStub monitorAsync() {
    return MonitorServiceGrpc.newStub(channel(options.monitorTarget));
  }

  ProcessorServiceGrpc.ProcessorServiceBlockingStub processor() {
    return ProcessorServiceGrpc.newBlockingStub(channel(options.processorTarget))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private ManagedChannel channel(String target) {
    ManagedChannel c = factory.forTarget(target).maxInboundMessageSize(256 << 20).build();
    channels.add(c);
    return c;
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    tls.close();
  }
}
