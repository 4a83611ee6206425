package dev.docmesh.meshkit.security;

import dev.docmesh.meshkit.config.ConfigException;
import dev.docmesh.meshkit.config.Env;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process's security, from {@code DOCMESH_TLS_*}, {@code DOCMESH_AUTH_*} and {@code
 * DOCMESH_TOKEN*}: the server's TLS credentials and call authentication, the HTTP port's guard, and
 * the channels it opens to other services (same certificate as client identity, its own token when
 * it has one). With nothing set: plaintext and authentication off, as {@code docmesh up} runs.
 */
public final class MeshSecurity implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MeshSecurity.class);

  public static final String TLS_CERT_FILE = "DOCMESH_TLS_CERT_FILE";
  public static final String TLS_KEY_FILE = "DOCMESH_TLS_KEY_FILE";
  public static final String TLS_CA_FILE = "DOCMESH_TLS_CA_FILE";
  public static final String TLS_RELOAD_INTERVAL = "DOCMESH_TLS_RELOAD_INTERVAL";
  public static final String AUTH_TOKENS_FILE = "DOCMESH_AUTH_TOKENS_FILE";
  public static final String AUTH_CERT_ROLES = "DOCMESH_AUTH_CERT_ROLES";
  public static final String AUTH_RELOAD_INTERVAL = "DOCMESH_AUTH_RELOAD_INTERVAL";
  public static final String TOKEN = "DOCMESH_TOKEN";
  public static final String TOKEN_FILE = "DOCMESH_TOKEN_FILE";
  public static final String REFLECTION = "DOCMESH_REFLECTION";
  public static final String METRICS_REQUIRE_AUTH = "DOCMESH_METRICS_REQUIRE_AUTH";
  public static final String HEALTHZ_REQUIRE_AUTH = "DOCMESH_HEALTHZ_REQUIRE_AUTH";

  private final TlsFiles tls;
  private final Authenticator authenticator;
  private final MeshChannels channels;
  private final boolean reflection;
  private final HttpAuth http;
  private final boolean metricsRequireAuth;
  private final boolean healthzRequireAuth;

  private MeshSecurity(
      TlsFiles tls,
      Authenticator authenticator,
      Optional<BearerToken> token,
      boolean reflection,
      boolean metricsRequireAuth,
      boolean healthzRequireAuth) {
    this.tls = tls;
    this.authenticator = authenticator;
    this.channels = new MeshChannels(tls, token);
    this.reflection = reflection;
    this.http = new HttpAuth(authenticator);
    this.metricsRequireAuth = metricsRequireAuth;
    this.healthzRequireAuth = healthzRequireAuth;
  }

  /** Plaintext, authentication off, reflection on. */
  public static MeshSecurity off() {
    return new MeshSecurity(
        TlsFiles.none(),
        new Authenticator(Optional.empty(), CertRoles.parse(AUTH_CERT_ROLES, "")),
        Optional.empty(),
        true,
        false,
        false);
  }

  public static MeshSecurity fromEnv(Env env) {
    Optional<Path> tokensFile = env.raw(AUTH_TOKENS_FILE).map(Path::of);
    CertRoles certRoles = CertRoles.parse(AUTH_CERT_ROLES, env.string(AUTH_CERT_ROLES, ""));
    Optional<Path> ca = env.raw(TLS_CA_FILE).map(Path::of);
    Optional<Path> cert = env.raw(TLS_CERT_FILE).map(Path::of);
    if (!certRoles.isEmpty() && (ca.isEmpty() || cert.isEmpty())) {
      throw new ConfigException(
          AUTH_CERT_ROLES
              + " needs mutual TLS: set "
              + TLS_CERT_FILE
              + ", "
              + TLS_KEY_FILE
              + " and "
              + TLS_CA_FILE);
    }
    Optional<BearerToken> token =
        env.raw(TOKEN_FILE)
            .map(f -> BearerToken.fromFile(Path.of(f)))
            .or(() -> env.raw(TOKEN).map(BearerToken::of));
    Duration authReload = env.duration(AUTH_RELOAD_INTERVAL, Duration.ofSeconds(5));
    Optional<TokenStore> tokens = tokensFile.map(f -> new TokenStore(f, authReload));
    TlsFiles tls =
        new TlsFiles(
            cert,
            env.raw(TLS_KEY_FILE).map(Path::of),
            ca,
            env.duration(TLS_RELOAD_INTERVAL, Duration.ofMinutes(1)));
    return new MeshSecurity(
        tls,
        new Authenticator(tokens, certRoles),
        token,
        env.bool(REFLECTION, true),
        env.bool(METRICS_REQUIRE_AUTH, false),
        env.bool(HEALTHZ_REQUIRE_AUTH, false));
  }

  public ServerCredentials serverCredentials() {
    return tls.serverCredentials();
  }

  /** Authentication and the policy table for every call. */
  public ServerInterceptor interceptor() {
    return new AuthInterceptor(authenticator);
  }

  public Authenticator authenticator() {
    return authenticator;
  }

  /** Channels to other services, with this process's certificate and token. */
  public MeshChannels channels() {
    return channels;
  }

  public HttpAuth http() {
    return http;
  }

  public boolean reflection() {
    return reflection;
  }

  public boolean metricsRequireAuth() {
    return metricsRequireAuth;
  }

  public boolean healthzRequireAuth() {
    return healthzRequireAuth;
  }

  /**
   * One line for the start-up log, and a warning when anyone who reaches the port may do anything.
   */
  public void logSummary(String service) {
    String transport = tls.mutual() ? "mutual TLS" : tls.serverTls() ? "TLS" : "plaintext";
    if (authenticator.enabled()) {
      log.info(
          "docmesh {}: {}, authentication on, reflection {}",
          service,
          transport,
          reflection ? "on" : "off");
    } else {
      log.warn(
          "docmesh {}: {}, AUTHENTICATION OFF: anyone who reaches this port may call every RPC"
              + " (set {} and/or {} to turn it on)",
          service,
          transport,
          AUTH_TOKENS_FILE,
          AUTH_CERT_ROLES);
    }
  }

  @Override
  public void close() {
    tls.close();
  }
}
