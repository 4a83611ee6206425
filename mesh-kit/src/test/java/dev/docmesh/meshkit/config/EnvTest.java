package dev.docmesh.meshkit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvTest {
  @Test
  void readsTypedValuesWithDefaults() {
    Env env =
        Env.of(
            Map.of(
                "DOCMESH_GRPC_PORT", "6000",
                "DOCMESH_SHUTDOWN_GRACE", "1500ms",
                "DOCMESH_MAX_INBOUND_MESSAGE_SIZE", "8MiB",
                "DOCMESH_KEEPALIVE_TIME", "PT45S"));
    MeshConfig config = MeshConfig.fromEnv("orchestrator", 50051, 9091, env);
    assertThat(config.grpcPort()).isEqualTo(6000);
    assertThat(config.metricsPort()).isEqualTo(9091);
    assertThat(config.shutdownGrace()).isEqualTo(Duration.ofMillis(1500));
    assertThat(config.maxInboundMessageBytes()).isEqualTo(8 * 1024 * 1024);
    assertThat(config.keepAliveTime()).isEqualTo(Duration.ofSeconds(45));
    assertThat(config.maxConnectionAge()).isEqualTo(Duration.ofMinutes(30));
  }

  @Test
  void badPortNamesTheVariableAndTheValue() {
    Env env = Env.of(Map.of("DOCMESH_GRPC_PORT", "fifty"));
    assertThatThrownBy(() -> MeshConfig.fromEnv("worker", 50053, 9093, env))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("DOCMESH_GRPC_PORT")
        .hasMessageContaining("fifty")
        .hasMessageContaining("whole number");
  }

  @Test
  void outOfRangeAndMalformedValuesAreRejected() {
    assertThatThrownBy(
            () -> MeshConfig.fromEnv("w", 1, 2, Env.of(Map.of("DOCMESH_METRICS_PORT", "70000"))))
        .hasMessageContaining("DOCMESH_METRICS_PORT")
        .hasMessageContaining("0 to 65535");
    assertThatThrownBy(
            () -> MeshConfig.fromEnv("w", 1, 2, Env.of(Map.of("DOCMESH_SHUTDOWN_GRACE", "soon"))))
        .hasMessageContaining("DOCMESH_SHUTDOWN_GRACE")
        .hasMessageContaining("duration");
    assertThatThrownBy(
            () ->
                MeshConfig.fromEnv(
                    "w", 1, 2, Env.of(Map.of("DOCMESH_MAX_INBOUND_MESSAGE_SIZE", "12 parsecs"))))
        .hasMessageContaining("DOCMESH_MAX_INBOUND_MESSAGE_SIZE");
    assertThatThrownBy(() -> Env.of(Map.of("X", "maybe")).bool("X", false))
        .hasMessageContaining("X='maybe'");
  }

  @Test
  void blankMeansUnset() {
    assertThat(Env.of(Map.of("DOCMESH_GRPC_PORT", " ")).port("DOCMESH_GRPC_PORT", 7)).isEqualTo(7);
  }
}
