package dev.docmesh.orchestrator.engine;

import dev.docmesh.meshkit.config.Env;
import dev.docmesh.orchestrator.OrchestratorConfig;
import dev.docmesh.orchestrator.events.EventHub;
import dev.docmesh.orchestrator.metrics.OrchestratorMetrics;
import dev.docmesh.orchestrator.pipeline.BuiltInPipelines;
import dev.docmesh.orchestrator.pipeline.PipelineValidator;
import dev.docmesh.orchestrator.store.FileBlobStore;
import dev.docmesh.orchestrator.store.GroupCommit;
import dev.docmesh.orchestrator.store.SqliteJobStore;
import dev.docmesh.proto.document.v1.DocumentRef;
import dev.docmesh.proto.orchestrator.v1.Job;
import io.prometheus.client.CollectorRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/** The engine as the orchestrator wires it, on a real SQLite store, for tests of the core. */
final class TestEngines {
  private TestEngines() {}

  /**
   * A started engine over {@code store} in {@code data}, durable through {@code log} (the store
   * itself, or a stand-in around it).
   */
  static JobEngine start(
      Path data,
      SqliteJobStore store,
      GroupCommit.Log log,
      ScheduledExecutorService timer,
      Executor streams) {
    OrchestratorConfig config =
        OrchestratorConfig.fromEnv(Env.of(Map.of("DOCMESH_DATA_DIR", data.toString())));
    OrchestratorMetrics metrics =
        new OrchestratorMetrics(
            new CollectorRegistry(),
            () -> new OrchestratorMetrics.QueueSnapshot(Map.of(), Duration.ZERO));
    return new JobEngine(
            config,
            store,
            new GroupCommit(log, true),
            new FileBlobStore(data.resolve("blobs")),
            new EventHub(metrics),
            metrics,
            Clock.systemUTC(),
            timer,
            streams)
        .start();
  }

  /** Submits a pdf-standard job over a document id made of {@code digit}; answered once durable. */
  static CompletableFuture<Job> submitPdfStandard(JobEngine engine, String digit) {
    var p = BuiltInPipelines.pdfStandard();
    return engine
        .submit(
            new NewJob(
                DocumentRef.newBuilder().setId("sha256:" + digit.repeat(64)).build(),
                p.getName(),
                p,
                PipelineValidator.validate(p, "p", x -> true),
                Map.of(),
                0,
                "",
                "",
                "",
                "",
                "anonymous"))
        .thenApply(JobEngine.SubmitResult::job);
  }
}
