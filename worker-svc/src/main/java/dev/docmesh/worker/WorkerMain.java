package dev.docmesh.worker;

import dev.docmesh.meshkit.concurrent.DaemonThreads;
import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.metrics.MeshTelemetry;
import dev.docmesh.meshkit.security.MeshChannels;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.server.ServiceLauncher;
import dev.docmesh.meshkit.server.ServiceLauncher.ServiceSpec;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import io.grpc.ManagedChannel;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** worker-svc: pulls tasks and runs them through processors. */
public final class WorkerMain {
  public static final ServiceSpec SPEC = new ServiceSpec("worker", 50053, 9093);

  private WorkerMain() {}

  public static void main(String[] args) {
    ServiceLauncher.main(SPEC, WorkerMain::wire);
  }

  public static MeshServer start(Env env) {
    return ServiceLauncher.start(SPEC, env, WorkerMain::wire);
  }

  static void wire(MeshServer.Builder server, Env env) {
    WorkerConfig config = WorkerConfig.fromEnv(server.config(), env);
    MeshChannels channels = server.security().channels();
    MeshTelemetry telemetry = server.telemetry();
    WorkerMetrics metrics = new WorkerMetrics(telemetry.registry());
    ManagedChannel orchestrator =
        Channels.open(
            channels,
            config.orchestratorTarget(),
            TaskQueueServiceGrpc.SERVICE_NAME,
            config.maxMessageBytes(),
            telemetry);
    ManagedChannel processor =
        Channels.open(
            channels,
            config.processorTarget(),
            ProcessorServiceGrpc.SERVICE_NAME,
            config.maxMessageBytes(),
            telemetry);
    ScheduledExecutorService timers =
        Executors.newScheduledThreadPool(2, DaemonThreads.factory("worker-timer"));

    TaskQueueClient queue =
        new TaskQueueClient(
            TaskQueueServiceGrpc.newBlockingStub(orchestrator),
            TaskQueueServiceGrpc.newStub(orchestrator),
            config,
            timers,
            orchestrator::resetConnectBackoff);
    CircuitBreaker breaker =
        new CircuitBreaker(
            config.processorTarget(),
            config.breakerFailures(),
            config.breakerCooldown(),
            metrics.circuitOpen,
            // the channel's own reconnect backoff grows to minutes; the probe should not wait for
            // it
            processor::resetConnectBackoff);
    ProcessorClient processors =
        new ProcessorClient(
            ProcessorServiceGrpc.newBlockingStub(processor),
            breaker,
            config.backoffInitial(),
            config.backoffMax(),
            config.progressInterval());
    Worker worker =
        new Worker(config, metrics, queue, processors, timers, telemetry.openTelemetry());

    server.addService(new WorkerServiceImpl(worker, config.shutdownGrace()));
    // polling starts once the server is up; draining turns its health NOT_SERVING
    server.afterStart(running -> worker.start(running::setServing));
    server.beforeStop(worker::drainAndWait);
    server.afterStop(
        () -> {
          worker.close();
          timers.shutdownNow();
          orchestrator.shutdownNow();
          processor.shutdownNow();
        });
  }
}
