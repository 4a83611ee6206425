package dev.docmesh.meshkit.testing;

import dev.docmesh.meshkit.config.Env;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Real network plumbing for tests: channels and HTTP on 127.0.0.1, ephemeral ports. */
public final class Loopback {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Loopback() {}

  /** A service environment on ephemeral ports with a short shutdown grace, plus {@code extra}. */
  public static Env env(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>();
    env.put("DOCMESH_GRPC_PORT", "0");
    env.put("DOCMESH_METRICS_PORT", "0");
    env.put("DOCMESH_SHUTDOWN_GRACE", "5s");
    env.putAll(extra);
    return Env.of(env);
  }

  public static Env env() {
    return env(Map.of());
  }

  public static ManagedChannel channel(int port) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  public static HttpResponse<String> get(int port, String path)
      throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
