package dev.docmesh.meshkit.security;

import io.grpc.ChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Optional;

/**
 * The one place client channels are made: TLS (and the client certificate) from {@link TlsFiles},
 * the bearer token when this process has one. Callers add their own options (retries, load
 * balancing, interceptors) to the builder it returns.
 */
public final class MeshChannels {
  private final TlsFiles tls;
  private final Optional<BearerToken> token;

  public MeshChannels(TlsFiles tls, Optional<BearerToken> token) {
    this.tls = tls;
    this.token = token;
  }

  /** Plaintext, no token: a mesh without any security configured. */
  public static MeshChannels plaintext() {
    return new MeshChannels(TlsFiles.none(), Optional.empty());
  }

  public NettyChannelBuilder forTarget(String target) {
    return configure(NettyChannelBuilder.forTarget(target, credentials()));
  }

  public NettyChannelBuilder forAddress(String host, int port) {
    return configure(NettyChannelBuilder.forAddress(host, port, credentials()));
  }

  public boolean tls() {
    return tls.clientTls();
  }

  private ChannelCredentials credentials() {
    return tls.channelCredentials();
  }

  private NettyChannelBuilder configure(NettyChannelBuilder b) {
    token.ifPresent(b::intercept);
    return b;
  }
}
