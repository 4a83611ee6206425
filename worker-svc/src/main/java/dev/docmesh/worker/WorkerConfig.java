package dev.docmesh.worker;

import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.config.MeshConfig;
import java.time.Duration;

/**
 * The worker's settings, read from {@code DOCMESH_*} variables (documented in the README's
 * configuration section).
 *
 * @param workerId id sent with every poll, heartbeat and result
 * @param slots tasks run at the same time
 * @param orchestratorTarget gRPC target of the task queue
 * @param processorTarget gRPC target of the processors ({@code dns:///} for client-side balancing)
 * @param pollWait how long one PollTask may be held by the orchestrator
 * @param maxCpu process CPU share (0..1) above which slots stop polling; 1 disables the check
 * @param maxHeap heap share (0..1) above which slots stop polling; 1 disables the check
 * @param progressInterval progress is relayed as a heartbeat at most this often
 * @param processorRefresh how often the processor list is refreshed
 * @param breakerFailures consecutive UNAVAILABLE answers that open the processor circuit
 * @param breakerCooldown how long an open circuit stops calls before one probe is let through
 * @param backoffInitial first delay after a failed call to another service
 * @param backoffMax longest delay between retries
 * @param defaultTaskTimeout time a task may take when the task names none
 * @param shutdownGrace how long in-flight tasks may run on at SIGTERM
 * @param maxMessageBytes largest message accepted from the orchestrator or a processor
 * @param documentCacheBytes documents kept after a task (by content hash) for the next task of the
 *     same document
 * @param maxFollowOns most follow-on stages run after a leased task under its lease (0: none)
 */
public record WorkerConfig(
    String workerId,
    int slots,
    String orchestratorTarget,
    String processorTarget,
    Duration pollWait,
    double maxCpu,
    double maxHeap,
    Duration progressInterval,
    Duration processorRefresh,
    int breakerFailures,
    Duration breakerCooldown,
    Duration backoffInitial,
    Duration backoffMax,
    Duration defaultTaskTimeout,
    Duration shutdownGrace,
    int maxMessageBytes,
    long documentCacheBytes,
    int maxFollowOns) {

  public static WorkerConfig fromEnv(MeshConfig mesh, Env env) {
    return new WorkerConfig(
        env.string("DOCMESH_WORKER_ID", mesh.instanceId()),
        env.integer("DOCMESH_WORKER_SLOTS", Runtime.getRuntime().availableProcessors(), 1, 256),
        env.string("DOCMESH_ORCHESTRATOR_TARGET", "dns:///localhost:50051"),
        env.string("DOCMESH_PROCESSOR_TARGET", "dns:///localhost:50052"),
        env.duration("DOCMESH_WORKER_POLL_WAIT", Duration.ofSeconds(30)),
        env.decimal("DOCMESH_WORKER_MAX_CPU", 0.95, 0.0, 1.0),
        env.decimal("DOCMESH_WORKER_MAX_HEAP", 0.85, 0.0, 1.0),
        env.duration("DOCMESH_WORKER_PROGRESS_INTERVAL", Duration.ofMillis(50)),
        env.duration("DOCMESH_WORKER_PROCESSOR_REFRESH", Duration.ofSeconds(30)),
        env.integer("DOCMESH_WORKER_BREAKER_FAILURES", 5, 1, 1000),
        env.duration("DOCMESH_WORKER_BREAKER_COOLDOWN", Duration.ofSeconds(10)),
        env.duration("DOCMESH_WORKER_BACKOFF_INITIAL", Duration.ofMillis(200)),
        env.duration("DOCMESH_WORKER_BACKOFF_MAX", Duration.ofSeconds(10)),
        env.duration("DOCMESH_WORKER_DEFAULT_TASK_TIMEOUT", Duration.ofMinutes(5)),
        mesh.shutdownGrace(),
        mesh.maxInboundMessageBytes(),
        env.bytes("DOCMESH_WORKER_DOCUMENT_CACHE", 64L * 1024 * 1024, 0, Long.MAX_VALUE),
        env.integer("DOCMESH_WORKER_MAX_FOLLOW_ONS", 8, 0, Integer.MAX_VALUE));
  }
}
