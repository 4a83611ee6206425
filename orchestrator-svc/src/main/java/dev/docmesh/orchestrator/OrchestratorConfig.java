package dev.docmesh.orchestrator;

import dev.docmesh.meshkit.config.Env;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The orchestrator's own settings, read from {@code DOCMESH_*} variables (see the README's
 * configuration section).
 *
 * @param dataDir where the SQLite file and the blob store live
 * @param pipelinesFile YAML file of pipelines; empty means only the built-in ones
 * @param knownProcessors processors pipelines may name before any worker announced them
 * @param pollWait longest time a PollTask call is held when the worker asks for no other
 * @param leaseDuration how long a lease lasts without a heartbeat
 * @param sweepInterval how often expired leases and ended backoffs are looked for
 * @param maxDocumentBytes largest document accepted by UploadDocument
 * @param maxInlineBytes largest document accepted inline in SubmitJob
 * @param maxPendingTasks unfinished tasks over all jobs beyond which SubmitJob is refused
 * @param retention finished jobs and unused documents are deleted this long after they end
 * @param retentionSweepInterval how often retention runs
 * @param sqliteSynchronous FULL: a change is fsynced before anyone is told (survives power loss;
 *     concurrent changes share one fsync); NORMAL: it reaches the OS only (survives a process
 *     crash)
 * @param watchMaxQueued messages a WatchJobs reader may fall behind before it is ended with
 *     WATCHER_TOO_SLOW
 */
public record OrchestratorConfig(
    Path dataDir,
    Optional<Path> pipelinesFile,
    List<String> knownProcessors,
    Duration pollWait,
    Duration leaseDuration,
    Duration sweepInterval,
    long maxDocumentBytes,
    long maxInlineBytes,
    int maxPendingTasks,
    Duration retention,
    Duration retentionSweepInterval,
    String sqliteSynchronous,
    int watchMaxQueued) {

  public static final List<String> BUILT_IN_PROCESSORS =
      List.of(
          "pdf.validate",
          "pdf.metadata",
          "pdf.text",
          "pdf.structure",
          "pdf.relationships",
          "text.plain",
          "text.markdown");

  public static OrchestratorConfig fromEnv(Env env) {
    List<String> known =
        env.raw("DOCMESH_KNOWN_PROCESSORS")
            .map(
                v ->
                    Arrays.stream(v.split(","))
                        .map(String::trim)
                        .filter(s -> !s.isEmpty())
                        .toList())
            .orElse(BUILT_IN_PROCESSORS);
    String sync =
        env.string("DOCMESH_SQLITE_SYNCHRONOUS", "FULL").toUpperCase(java.util.Locale.ROOT);
    if (!List.of("FULL", "NORMAL").contains(sync)) {
      throw new dev.docmesh.meshkit.config.ConfigException(
          "DOCMESH_SQLITE_SYNCHRONOUS='" + sync + "' is not valid: expected FULL or NORMAL");
    }
    return new OrchestratorConfig(
        env.path("DOCMESH_DATA_DIR", Path.of("data", "orchestrator")),
        env.raw("DOCMESH_PIPELINES_FILE").map(Path::of),
        known,
        positive(env, "DOCMESH_POLL_WAIT", Duration.ofSeconds(30)),
        positive(env, "DOCMESH_LEASE_DURATION", Duration.ofSeconds(30)),
        positive(env, "DOCMESH_LEASE_SWEEP_INTERVAL", Duration.ofMillis(200)),
        env.bytes("DOCMESH_MAX_DOCUMENT_BYTES", 256L * 1024 * 1024, 1, Long.MAX_VALUE),
        env.bytes("DOCMESH_MAX_INLINE_BYTES", 16L * 1024 * 1024, 1, Integer.MAX_VALUE),
        env.integer("DOCMESH_MAX_PENDING_TASKS", 100_000, 1, Integer.MAX_VALUE),
        positive(env, "DOCMESH_RETENTION", Duration.ofDays(7)),
        positive(env, "DOCMESH_RETENTION_SWEEP_INTERVAL", Duration.ofHours(1)),
        sync,
        env.integer(
            "DOCMESH_WATCH_MAX_QUEUED",
            dev.docmesh.orchestrator.events.FirehoseWatcher.DEFAULT_MAX_QUEUED,
            1,
            Integer.MAX_VALUE));
  }

  private static Duration positive(Env env, String name, Duration def) {
    Duration d = env.duration(name, def);
    if (d.isZero()) {
      throw new dev.docmesh.meshkit.config.ConfigException(name + " must be greater than zero");
    }
    return d;
  }
}
