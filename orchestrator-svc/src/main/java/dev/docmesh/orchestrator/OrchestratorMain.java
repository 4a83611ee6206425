package dev.docmesh.orchestrator;

import dev.docmesh.meshkit.concurrent.DaemonThreads;
import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.server.ServiceLauncher;
import dev.docmesh.meshkit.server.ServiceLauncher.ServiceSpec;
import dev.docmesh.orchestrator.engine.JobEngine;
import dev.docmesh.orchestrator.events.EventHub;
import dev.docmesh.orchestrator.grpc.OrchestratorServiceImpl;
import dev.docmesh.orchestrator.grpc.PeerAddress;
import dev.docmesh.orchestrator.grpc.TaskQueueServiceImpl;
import dev.docmesh.orchestrator.intake.DocumentIntake;
import dev.docmesh.orchestrator.metrics.OrchestratorMetrics;
import dev.docmesh.orchestrator.pipeline.PipelineCatalog;
import dev.docmesh.orchestrator.store.BlobStore;
import dev.docmesh.orchestrator.store.FileBlobStore;
import dev.docmesh.orchestrator.store.GroupCommit;
import dev.docmesh.orchestrator.store.JobStore;
import dev.docmesh.orchestrator.store.PostgresBlobStore;
import dev.docmesh.orchestrator.store.PostgresDatabase;
import dev.docmesh.orchestrator.store.PostgresJobStore;
import dev.docmesh.orchestrator.store.SqliteJobStore;
import dev.docmesh.orchestrator.tracing.OtelJobTracing;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** orchestrator-svc: jobs, pipelines, the durable store and the task queue. */
public final class OrchestratorMain {
  public static final ServiceSpec SPEC = new ServiceSpec("orchestrator", 50051, 9091);
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(OrchestratorMain.class);

  private OrchestratorMain() {}

  public static void main(String[] args) {
    ServiceLauncher.main(SPEC, OrchestratorMain::wire);
  }

  public static MeshServer start(Env env) {
    return ServiceLauncher.start(SPEC, env, OrchestratorMain::wire);
  }

  /** With a clock of the caller's choice (tests). */
  public static MeshServer start(Env env, Clock clock) {
    return ServiceLauncher.start(SPEC, env, (server, e) -> wire(server, e, clock));
  }

  static void wire(MeshServer.Builder server, Env env) {
    wire(server, env, Clock.systemUTC());
  }

  static void wire(MeshServer.Builder server, Env env, Clock clock) {
    OrchestratorConfig config = OrchestratorConfig.fromEnv(env);
    PipelineCatalog catalog = PipelineCatalog.load(config);
    StoreConfig storeConfig = StoreConfig.fromEnv(env);
    JobStore store;
    GroupCommit commits;
    BlobStore blobs;
    PostgresDatabase db = null;
    if (storeConfig.kind() == StoreConfig.Kind.POSTGRES) {
      StoreConfig.Postgres pg = storeConfig.postgres().orElseThrow();
      db = new PostgresDatabase(pg.url(), pg.user(), pg.password(), pg.poolSize());
      store = new PostgresJobStore(db);
      // Commits return before their WAL flush; one flush covers every commit so far (see
      // PostgresJobStore).
      commits = new GroupCommit(store, true);
      blobs = new PostgresBlobStore(db.pool(), config.dataDir().resolve("upload-spool"));
    } else {
      // SQLite commits reach the OS; GroupCommit adds the fsync (shared by concurrent commits) when
      // FULL.
      store = new SqliteJobStore(config.dataDir().resolve("orchestrator.db"), "NORMAL");
      commits = new GroupCommit(store, config.sqliteSynchronous().equals("FULL"));
      log.info(
          "durability: {}",
          config.sqliteSynchronous().equals("FULL")
              ? "every change fsynced before it is acknowledged (group commit)"
              : "changes reach the OS before they are acknowledged (no fsync)");
      blobs = new FileBlobStore(config.dataDir().resolve("blobs"));
    }
    PostgresDatabase database = db;
    AtomicReference<JobEngine> engineRef = new AtomicReference<>();
    OrchestratorMetrics metrics =
        new OrchestratorMetrics(
            server.telemetry().registry(),
            () -> {
              JobEngine e = engineRef.get();
              return e == null
                  ? new OrchestratorMetrics.QueueSnapshot(
                      java.util.Map.of(), java.time.Duration.ZERO)
                  : e.queueSnapshot();
            });
    EventHub hub = new EventHub(metrics);
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.factory("orchestrator-timer"));
    ExecutorService streams =
        Executors.newFixedThreadPool(4, DaemonThreads.factory("orchestrator-streams"));
    JobEngine engine =
        new JobEngine(
                config,
                store,
                commits,
                blobs,
                hub,
                metrics,
                clock,
                timer,
                streams,
                new OtelJobTracing(server.telemetry().openTelemetry()))
            .start();
    engineRef.set(engine);

    server.intercept(new PeerAddress());
    // A worker's calls wait for no disk flush (CompleteTask and FailTask are answered by the sync
    // that makes them durable; a parked poll from a timer or a commit) and parse no stage output
    // (it stays bytes: StageOutputs): no executor hand-off for them.
    server.handlersOnNetworkThreads(
        TaskQueueServiceGrpc.getPollTaskMethod(),
        TaskQueueServiceGrpc.getCompleteTaskMethod(),
        TaskQueueServiceGrpc.getFailTaskMethod(),
        TaskQueueServiceGrpc.getHeartbeatMethod());
    DocumentIntake intake =
        new DocumentIntake(
            config.maxInlineBytes(),
            config.maxDocumentBytes(),
            blobs,
            store,
            clock,
            engine::awaitDurable);
    server.addService(new OrchestratorServiceImpl(engine, store, intake, catalog));
    server.addService(
        new TaskQueueServiceImpl(engine, catalog, blobs, clock, streams).definition());
    // Parked polls and open watches would hold the shutdown for its whole grace: end them first.
    server.beforeStop(
        () -> {
          engine.close();
          hub.closeAll();
        });
    server.afterStop(
        () -> {
          timer.shutdownNow();
          streams.shutdown();
          try {
            streams.awaitTermination(5, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          store.close();
          if (database != null) {
            database.close();
          }
        });
  }
}
