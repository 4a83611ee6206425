package dev.docmesh.meshkit.security;

import dev.docmesh.meshkit.config.ConfigException;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.AdvancedTlsX509TrustManager.Verification;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * TLS from PEM files (a Kubernetes TLS Secret: {@code tls.crt}, {@code tls.key}, {@code ca.crt}),
 * re-read when they change, checked every {@code reload}. A file swap affects only new
 * handshakes: connections already open, and their calls, carry on untouched.
 *
 * <p>As a server: TLS when a certificate is given; with a CA too, clients must present a
 * certificate that CA signed (mutual TLS). As a client: TLS when a CA or a certificate is
 * given; the server's certificate must name the host dialled; the certificate, when given,
 * is this process's client identity.
 */
public final class TlsFiles implements AutoCloseable {
  private final Optional<AdvancedTlsX509KeyManager> identity;
  private final Optional<AdvancedTlsX509TrustManager> serverTrust;
  private final Optional<AdvancedTlsX509TrustManager> clientTrust;
  private final List<AutoCloseable> watchers = new ArrayList<>();
  private final ScheduledExecutorService reloader;

  public TlsFiles(Optional<Path> cert, Optional<Path> key, Optional<Path> ca, Duration reload) {
    if (cert.isPresent() != key.isPresent()) {
      throw new ConfigException(
          MeshSecurity.TLS_CERT_FILE + " and " + MeshSecurity.TLS_KEY_FILE + " go together: set both or neither");
    }
    boolean any = cert.isPresent() || ca.isPresent();
    this.reloader =
        any ? Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "tls-reload");
          t.setDaemon(true);
          return t;
        }) : null;
    long period = Math.max(1, reload.toMillis());
    try {
      if (cert.isPresent()) {
        AdvancedTlsX509KeyManager km = new AdvancedTlsX509KeyManager();
        watchers.add(km.updateIdentityCredentials(
            cert.get().toFile(), key.get().toFile(), period, TimeUnit.MILLISECONDS, reloader)::close);
        identity = Optional.of(km);
      } else {
        identity = Optional.empty();
      }
      if (ca.isPresent()) {
        serverTrust = Optional.of(trust(ca.get(), Verification.CERTIFICATE_ONLY_VERIFICATION, period));
        clientTrust = Optional.of(trust(ca.get(), Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION, period));
      } else {
        serverTrust = Optional.empty();
        clientTrust = Optional.empty();
      }
    } catch (IOException | GeneralSecurityException e) {
      close();
      throw new ConfigException("cannot read the TLS files (" + cert.map(Path::toString).orElse("-") + ", "
          + key.map(Path::toString).orElse("-") + ", " + ca.map(Path::toString).orElse("-") + "): " + e.getMessage());
    }
  }

  /** No TLS at all: plaintext server and clients. */
  public static TlsFiles none() {
    return new TlsFiles(Optional.empty(), Optional.empty(), Optional.empty(), Duration.ofMinutes(1));
  }

  private AdvancedTlsX509TrustManager trust(Path ca, Verification verification, long periodMillis)
      throws IOException, GeneralSecurityException {
    AdvancedTlsX509TrustManager tm = AdvancedTlsX509TrustManager.newBuilder().setVerification(verification).build();
    watchers.add(tm.updateTrustCredentials(ca.toFile(), periodMillis, TimeUnit.MILLISECONDS, reloader)::close);
    return tm;
  }

  public boolean serverTls() {
    return identity.isPresent();
  }

  public boolean mutual() {
    return identity.isPresent() && serverTrust.isPresent();
  }

  public boolean clientTls() {
    return identity.isPresent() || clientTrust.isPresent();
  }

  public ServerCredentials serverCredentials() {
    if (identity.isEmpty()) {
      return InsecureServerCredentials.create();
    }
    TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(identity.get());
    serverTrust.ifPresent(tm -> b.trustManager(tm).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE));
    return b.build();
  }

  public ChannelCredentials channelCredentials() {
    if (!clientTls()) {
      return InsecureChannelCredentials.create();
    }
    TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
    identity.ifPresent(b::keyManager);
    clientTrust.ifPresent(b::trustManager);
    return b.build();
  }

  @Override
  public void close() {
    for (AutoCloseable w : watchers) {
      try {
        w.close();
      } catch (Exception e) {
        // stopping a file watch cannot fail in a way that matters at shutdown
      }
    }
    if (reloader != null) {
      reloader.shutdownNow();
    }
  }
}
