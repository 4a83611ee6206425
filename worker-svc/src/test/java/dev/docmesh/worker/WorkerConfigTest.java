package dev.docmesh.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.docmesh.meshkit.config.ConfigException;
import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.config.MeshConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {
  private static WorkerConfig config(Map<String, String> vars) {
    Env env = Env.of(vars);
    return WorkerConfig.fromEnv(MeshConfig.fromEnv("worker", 50053, 9093, env), env);
  }

  @Test
  void maxFollowOnsDefaultsToEightAndZeroTurnsThemOff() {
    assertThat(config(Map.of()).maxFollowOns()).isEqualTo(8);
    assertThat(config(Map.of("DOCMESH_WORKER_MAX_FOLLOW_ONS", "0")).maxFollowOns()).isZero();
    assertThat(config(Map.of("DOCMESH_WORKER_MAX_FOLLOW_ONS", "3")).maxFollowOns()).isEqualTo(3);
  }

  @Test
  void aNegativeOrMalformedMaxFollowOnsIsRejected() {
    assertThatThrownBy(() -> config(Map.of("DOCMESH_WORKER_MAX_FOLLOW_ONS", "-1")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("DOCMESH_WORKER_MAX_FOLLOW_ONS='-1'");
    assertThatThrownBy(() -> config(Map.of("DOCMESH_WORKER_MAX_FOLLOW_ONS", "all")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("whole number");
  }
}
