package dev.docmesh.meshkit.security;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.docmesh.meshkit.metrics.MetricsHttpServer;
import java.util.Optional;
import java.util.Set;

/**
 * Bearer-token guard for pages on the HTTP port (the monitor's {@code /api}, optionally {@code
 * /metrics} and {@code /healthz}): 401 without a valid token, 403 without a permitted role. Open
 * when authentication is off.
 */
public final class HttpAuth {
  private final Authenticator authenticator;

  HttpAuth(Authenticator authenticator) {
    this.authenticator = authenticator;
  }

  /**
   * {@code handler} for callers holding one of {@code roles}; any authenticated caller when none
   * are given.
   */
  public HttpHandler protect(HttpHandler handler, String... roles) {
    Set<String> allowed = Set.of(roles);
    return exchange -> {
      if (!authenticator.enabled()) {
        handler.handle(exchange);
        return;
      }
      String header = exchange.getRequestHeaders().getFirst("Authorization");
      Optional<Principal> p =
          header == null ? Optional.empty() : authenticator.authenticate(header, null);
      if (p.isEmpty()) {
        deny(exchange, 401, "a valid bearer token is required\n");
        return;
      }
      if (!allowed.isEmpty() && allowed.stream().noneMatch(p.get()::hasRole)) {
        deny(exchange, 403, "this needs one of the roles " + allowed + "\n");
        return;
      }
      handler.handle(exchange);
    };
  }

  private static void deny(HttpExchange exchange, int status, String body)
      throws java.io.IOException {
    exchange.getRequestBody().readAllBytes();
    if (status == 401) {
      exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"docmesh\"");
    }
    MetricsHttpServer.send(exchange, status, "text/plain", body);
  }
}
