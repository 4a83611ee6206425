package dev.docmesh.chaos;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;

final class Channels {
  private Channels() {}

  static ManagedChannel plain(String target) {
    return NettyChannelBuilder.forTarget(target)
        .usePlaintext()
        .maxInboundMessageSize(64 << 20)
        .build();
  }
}
