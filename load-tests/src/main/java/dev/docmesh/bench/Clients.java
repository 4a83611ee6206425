package dev.docmesh.bench;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;

/** The one way the harness opens a channel, so both sides of every ratio use the same client. */
final class Clients {
  private Clients() {}

  /**
   * Plaintext channel whose callbacks run on the event loop: the client stays cheap, so the figure
   * measures the server (the harness never blocks in a callback).
   */
  static ManagedChannel channel(String target) {
    return NettyChannelBuilder.forTarget(target)
        .usePlaintext()
        .directExecutor()
        .maxInboundMessageSize(64 * 1024 * 1024)
        .build();
  }
}
