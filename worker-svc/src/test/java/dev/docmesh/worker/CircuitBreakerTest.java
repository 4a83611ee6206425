package dev.docmesh.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.docmesh.worker.CircuitBreaker.State;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Gauge;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class CircuitBreakerTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private final AtomicLong now = new AtomicLong();
  private final AtomicInteger probes = new AtomicInteger();
  private final Gauge gauge =
      Gauge.build("open", "open").labelNames("target").register(new CollectorRegistry());
  private final CircuitBreaker breaker =
      new CircuitBreaker(
          "dns:///p:1", 3, Duration.ofSeconds(10), gauge, now::get, probes::incrementAndGet);
  @RegisterExtension final FakeMesh.PerTest meshes = new FakeMesh.PerTest();
  private FakeMesh mesh;

  @Test
  void opensAfterConsecutiveFailuresAndLetsOneProbeThroughAfterTheCooldown() {
    breaker.onFailure();
    breaker.onFailure();
    breaker.onSuccess(); // not consecutive
    breaker.onFailure();
    breaker.onFailure();
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    breaker.onFailure();
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(gauge.labels("dns:///p:1").get()).isEqualTo(1);
    assertThat(breaker.tryAcquire()).isFalse();

    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(breaker.tryAcquire()).as("the probe").isTrue();
    assertThat(breaker.tryAcquire()).as("only one probe").isFalse();
    assertThat(probes.get()).isEqualTo(1);
    breaker.onFailure();
    assertThat(breaker.state()).isEqualTo(State.OPEN);

    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(breaker.tryAcquire()).isTrue();
    breaker.onSuccess();
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(gauge.labels("dns:///p:1").get()).isZero();
  }

  @Test
  void processorDownOpensTheCircuitAndTheTaskCompletesOnceItIsBack() {
    mesh =
        meshes.start(
            Map.of(
                "DOCMESH_WORKER_BREAKER_FAILURES", "2",
                "DOCMESH_WORKER_BREAKER_COOLDOWN", "500ms"));
    String target = mesh.processorServer.target();
    String[] label = {"target"};
    String[] value = {target};
    await().atMost(WAIT).until(() -> !mesh.queue.polls.isEmpty());
    assertThat(mesh.metric("docmesh_worker_circuit_open", label, value)).isZero();

    mesh.processorServer.stop();
    var task = mesh.offer("pdf.validate");
    await()
        .atMost(WAIT)
        .until(() -> mesh.metric("docmesh_worker_circuit_open", label, value) == 1.0);
    // the task is kept (leased and heartbeating), not failed, while the processor is away
    assertThat(mesh.queue.failures).isEmpty();

    mesh.processorServer.start();
    await().atMost(WAIT).until(() -> mesh.queue.completions.size() == 1);
    assertThat(mesh.queue.completions.get(0).getLeaseToken()).isEqualTo(task.getLeaseToken());
    assertThat(mesh.metric("docmesh_worker_circuit_open", label, value)).isZero();
    assertThat(mesh.queue.failures).isEmpty();
  }
}
