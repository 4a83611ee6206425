package dev.docmesh.bench;

import dev.docmesh.meshkit.security.MeshChannels;
import io.grpc.ManagedChannel;

/** The one way the harness opens a channel, so both sides of every ratio use the same client. */
final class Clients {
  private Clients() {}

  /** Plaintext, see {@link #channel(MeshChannels, String)}. */
  static ManagedChannel channel(String target) {
    return channel(MeshChannels.plaintext(), target);
  }

  /**
   * A channel whose callbacks run on the event loop: the client stays cheap, so the figure measures
   * the server (the harness never blocks in a callback). TLS and token, when any, are mesh-kit's
   * (the services' and the CLI's own channel factory).
   */
  static ManagedChannel channel(MeshChannels security, String target) {
    return security
        .forTarget(target)
        .directExecutor()
        .maxInboundMessageSize(64 * 1024 * 1024)
        .build();
  }
}
