package dev.docmesh.meshkit.security;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Turns what a caller presents into a {@link Principal}: a bearer token from the tokens file, or
 * else a verified client certificate mapped by {@link CertRoles}. Shared by gRPC and the HTTP port.
 * A token that is present but wrong fails even when the certificate would pass, so a client learns
 * of its bad token rather than silently running with other roles.
 */
public final class Authenticator {
  private static final String BEARER = "bearer ";

  private final Optional<TokenStore> tokens;
  private final CertRoles certRoles;

  public Authenticator(Optional<TokenStore> tokens, CertRoles certRoles) {
    this.tokens = tokens;
    this.certRoles = certRoles;
  }

  /** Authentication is on when there is a tokens file or a certificate role mapping. */
  public boolean enabled() {
    return tokens.isPresent() || !certRoles.isEmpty();
  }

  /**
   * @param authorization the {@code authorization} header, or null
   * @param tls the TLS session of the connection, or null for plaintext
   */
  public Optional<Principal> authenticate(String authorization, SSLSession tls) {
    if (authorization != null) {
      return bearer(authorization).flatMap(token -> tokens.flatMap(t -> t.lookup(token)));
    }
    return clientCertificate(tls).flatMap(certRoles::principalOf);
  }

  private static Optional<String> bearer(String header) {
    String h = header.trim();
    if (h.length() <= BEARER.length()
        || !h.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER)) {
      return Optional.empty();
    }
    return Optional.of(h.substring(BEARER.length()).trim());
  }

  private static Optional<X509Certificate> clientCertificate(SSLSession tls) {
    if (tls == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = tls.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x
          ? Optional.of(x)
          : Optional.empty();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }
}
