package dev.docmesh.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.config.MeshConfig;
import dev.docmesh.worker.WorkerConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The harness calls processors straight as a worker-svc with its defaults would. */
class WorkerLikeCallsTest {
  @Test
  void directCallsAskForTheWorkersDefaultProgressInterval() {
    Env env = Env.of(Map.of());
    WorkerConfig worker = WorkerConfig.fromEnv(MeshConfig.fromEnv("worker", 50053, 9093, env), env);
    com.google.protobuf.Duration asked = Processors.WORKER_PROGRESS_INTERVAL;
    assertThat(Duration.ofSeconds(asked.getSeconds(), asked.getNanos()))
        .isEqualTo(worker.progressInterval());
  }
}
