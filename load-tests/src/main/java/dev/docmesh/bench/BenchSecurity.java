package dev.docmesh.bench;

import dev.docmesh.meshkit.security.BearerToken;
import dev.docmesh.meshkit.security.MeshChannels;
import dev.docmesh.meshkit.security.MeshSecurity;
import dev.docmesh.meshkit.security.TlsFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * How the harness's services and its own clients are secured: {@link #OFF} (plaintext, no
 * authentication, as {@code docmesh up}), or mutual TLS + bearer tokens from {@code
 * scripts/dev-certs.sh}, as README's security section runs a mesh. The harness calls the
 * orchestrator as a {@code client} and processor-svc as a {@code worker} (the roles the policy
 * table gives SubmitJob/WatchJob/GetJob and Process), with the client certificate.
 */
final class BenchSecurity implements AutoCloseable {
  /** Plaintext services and clients. */
  static final BenchSecurity OFF = new BenchSecurity(null, null, null, null);

  private final Path dir;
  private final TlsFiles clientTls;
  private final MeshChannels asClient;
  private final MeshChannels asWorker;

  private BenchSecurity(
      Path dir, TlsFiles clientTls, MeshChannels asClient, MeshChannels asWorker) {
    this.dir = dir;
    this.clientTls = clientTls;
    this.asClient = asClient;
    this.asWorker = asWorker;
  }

  /** Certificates and tokens made by {@code <root>/scripts/dev-certs.sh dir}. */
  static BenchSecurity devCerts(Path root, Path dir) {
    Path script = root.resolve("scripts/dev-certs.sh");
    try {
      Path log = Files.createTempFile("dev-certs", ".log");
      Process p =
          new ProcessBuilder("bash", script.toString(), dir.toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(
            script + " " + dir + " failed:\n" + Files.readString(log, StandardCharsets.UTF_8));
      }
      Files.delete(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    TlsFiles tls =
        new TlsFiles(
            Optional.of(dir.resolve("client.crt")),
            Optional.of(dir.resolve("client.key")),
            Optional.of(dir.resolve("ca.crt")),
            Duration.ofMinutes(1));
    return new BenchSecurity(
        dir,
        tls,
        new MeshChannels(tls, Optional.of(BearerToken.fromFile(dir.resolve("client.token")))),
        new MeshChannels(tls, Optional.of(BearerToken.fromFile(dir.resolve("worker.token")))));
  }

  boolean on() {
    return dir != null;
  }

  /**
   * What a service is started with: its own certificate (server identity, and its client identity
   * towards the others), the CA that every peer must be signed by, the token hashes, and the roles
   * of the worker's and monitor's certificates — the variables of README's security section.
   */
  Map<String, String> serverEnv(String service) {
    if (!on()) {
      return Map.of();
    }
    return Map.of(
        MeshSecurity.TLS_CERT_FILE, dir.resolve(service + ".crt").toString(),
        MeshSecurity.TLS_KEY_FILE, dir.resolve(service + ".key").toString(),
        MeshSecurity.TLS_CA_FILE, dir.resolve("ca.crt").toString(),
        MeshSecurity.AUTH_TOKENS_FILE, dir.resolve("tokens.yaml").toString(),
        MeshSecurity.AUTH_CERT_ROLES, "worker=worker,monitor=monitor");
  }

  /** The harness's channels to {@code service}: processor-svc as a worker, the rest as a client. */
  MeshChannels channelsTo(String service) {
    if (!on()) {
      return MeshChannels.plaintext();
    }
    return service.equals("processor") ? asWorker : asClient;
  }

  /** A file {@code scripts/dev-certs.sh} wrote (e.g. {@code ca.crt}, {@code client.token}). */
  Path file(String name) {
    return dir.resolve(name);
  }

  /** Mutual TLS with the client certificate but no token (the check that a token is needed). */
  MeshChannels withoutToken() {
    return new MeshChannels(clientTls, Optional.empty());
  }

  @Override
  public void close() {
    if (clientTls != null) {
      clientTls.close();
    }
  }
}
