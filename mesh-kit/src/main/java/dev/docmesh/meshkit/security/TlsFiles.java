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
import io.grpc.util.CertificateUtils;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS from PEM files (a Kubernetes TLS Secret: {@code tls.crt}, {@code tls.key}, {@code ca.crt}),
 * re-read when they change, checked every {@code reload}. A file swap affects only new handshakes:
 * connections already open, and their calls, carry on untouched.
 *
 * <p>As a server: TLS when a certificate is given; with a CA too, clients must present a
 * certificate that CA signed (mutual TLS). As a client: TLS when a CA or a certificate is given;
 * the server's certificate must name the host dialled; the certificate, when given, is this
 * process's client identity.
 */
public final class TlsFiles implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TlsFiles.class);
  private final Optional<AdvancedTlsX509KeyManager> identity;
  private final Optional<AdvancedTlsX509TrustManager> serverTrust;
  private final Optional<AdvancedTlsX509TrustManager> clientTrust;
  private final List<Watched> watched = new ArrayList<>();
  private final ScheduledExecutorService reloader;

  /**
   * Files whose change re-runs {@code reload}; grpc-util's own file watch polls no faster than once
   * a minute.
   */
  private record Watched(List<Path> files, long[] stamps, Reload reload) {}

  @FunctionalInterface
  private interface Reload {
    void run() throws IOException, GeneralSecurityException;
  }

  public TlsFiles(Optional<Path> cert, Optional<Path> key, Optional<Path> ca, Duration reload) {
    if (cert.isPresent() != key.isPresent()) {
      throw new ConfigException(
          MeshSecurity.TLS_CERT_FILE
              + " and "
              + MeshSecurity.TLS_KEY_FILE
              + " go together: set both or neither");
    }
    boolean any = cert.isPresent() || ca.isPresent();
    this.reloader =
        any
            ? Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "tls-reload");
                  t.setDaemon(true);
                  return t;
                })
            : null;
    long period = Math.max(1, reload.toMillis());
    try {
      if (cert.isPresent()) {
        AdvancedTlsX509KeyManager km = new AdvancedTlsX509KeyManager();
        watch(List.of(cert.get(), key.get()), () -> loadIdentity(km, cert.get(), key.get()));
        identity = Optional.of(km);
      } else {
        identity = Optional.empty();
      }
      if (ca.isPresent()) {
        serverTrust =
            Optional.of(trust(ca.get(), Verification.CERTIFICATE_ONLY_VERIFICATION, period));
        clientTrust =
            Optional.of(
                trust(ca.get(), Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION, period));
      } else {
        serverTrust = Optional.empty();
        clientTrust = Optional.empty();
      }
      if (reloader != null) {
        reloader.scheduleWithFixedDelay(this::reloadChanged, period, period, TimeUnit.MILLISECONDS);
      }
    } catch (IOException | GeneralSecurityException e) {
      close();
      throw new ConfigException(
          "cannot read the TLS files ("
              + cert.map(Path::toString).orElse("-")
              + ", "
              + key.map(Path::toString).orElse("-")
              + ", "
              + ca.map(Path::toString).orElse("-")
              + "): "
              + e.getMessage());
    }
  }

  /** No TLS at all: plaintext server and clients. */
  public static TlsFiles none() {
    return new TlsFiles(
        Optional.empty(), Optional.empty(), Optional.empty(), Duration.ofMinutes(1));
  }

  private AdvancedTlsX509TrustManager trust(Path ca, Verification verification, long periodMillis)
      throws IOException, GeneralSecurityException {
    AdvancedTlsX509TrustManager tm =
        AdvancedTlsX509TrustManager.newBuilder().setVerification(verification).build();
    watch(List.of(ca), () -> tm.updateTrustCredentials(ca.toFile()));
    return tm;
  }

  /**
   * Loads a key pair only when the key matches the certificate: a rotation caught between writing
   * the two files must not serve a certificate with a key that cannot prove it.
   */
  private static void loadIdentity(AdvancedTlsX509KeyManager km, Path cert, Path key)
      throws IOException, GeneralSecurityException {
    PrivateKey privateKey;
    X509Certificate[] chain;
    try (InputStream k = Files.newInputStream(key);
        InputStream c = Files.newInputStream(cert)) {
      privateKey = CertificateUtils.getPrivateKey(k);
      chain = CertificateUtils.getX509Certificates(c);
    }
    if (chain.length == 0) {
      throw new GeneralSecurityException(cert + " holds no certificate");
    }
    String algorithm =
        "EC".equals(privateKey.getAlgorithm())
            ? "SHA256withECDSA"
            : "SHA256with" + privateKey.getAlgorithm();
    byte[] probe = "docmesh key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    Signature signer = Signature.getInstance(algorithm);
    signer.initSign(privateKey);
    signer.update(probe);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(algorithm);
    verifier.initVerify(chain[0].getPublicKey());
    verifier.update(probe);
    if (!verifier.verify(signature)) {
      throw new GeneralSecurityException(
          "the key in " + key + " does not belong to the certificate in " + cert);
    }
    km.updateIdentityCredentials(chain, privateKey);
  }

  private void watch(List<Path> files, Reload reload) throws IOException, GeneralSecurityException {
    long[] stamps = stamps(files);
    reload.run();
    watched.add(new Watched(files, stamps, reload));
  }

  /**
   * Reloads what changed (modification time or size of any of its files); a failed reload is
   * retried next time.
   */
  private void reloadChanged() {
    for (Watched w : watched) {
      try {
        long[] now = stamps(w.files());
        if (java.util.Arrays.equals(now, w.stamps())) {
          continue;
        }
        w.reload().run();
        System.arraycopy(now, 0, w.stamps(), 0, now.length);
        log.info("reloaded TLS files {}", w.files());
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        log.warn(
            "cannot reload TLS files {}, keeping the previous ones: {}", w.files(), e.toString());
      }
    }
  }

  private static long[] stamps(List<Path> files) throws IOException {
    long[] out = new long[files.size() * 2];
    for (int i = 0; i < files.size(); i++) {
      out[2 * i] = Files.getLastModifiedTime(files.get(i)).toMillis();
      out[2 * i + 1] = Files.size(files.get(i));
    }
    return out;
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
    serverTrust.ifPresent(
        tm -> b.trustManager(tm).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE));
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
    if (reloader != null) {
      reloader.shutdownNow();
    }
  }
}
