package dev.docmesh.cli;

import dev.docmesh.proto.monitor.v1.MonitorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Channels and stubs for one command; closed when the command ends. */
final class Clients implements AutoCloseable {
  private final GlobalOptions options;
  private final List<ManagedChannel> channels = new ArrayList<>();

  Clients(GlobalOptions options) {
    this.options = options;
  }

  OrchestratorServiceGrpc.OrchestratorServiceBlockingStub orchestrator() {
    return OrchestratorServiceGrpc.newBlockingStub(channel(options.target))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  OrchestratorServiceGrpc.OrchestratorServiceStub orchestratorAsync() {
    return OrchestratorServiceGrpc.newStub(channel(options.target));
  }

  MonitorServiceGrpc.MonitorServiceBlockingStub monitor() {
    return MonitorServiceGrpc.newBlockingStub(channel(options.monitorTarget)).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  MonitorServiceGrpc.MonitorServiceStub monitorAsync() {
    return MonitorServiceGrpc.newStub(channel(options.monitorTarget));
  }

  ProcessorServiceGrpc.ProcessorServiceBlockingStub processor() {
    return ProcessorServiceGrpc.newBlockingStub(channel(options.processorTarget)).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private ManagedChannel channel(String target) {
    ManagedChannel c = NettyChannelBuilder.forTarget(target).usePlaintext().maxInboundMessageSize(256 << 20).build();
    channels.add(c);
    return c;
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
  }
}
