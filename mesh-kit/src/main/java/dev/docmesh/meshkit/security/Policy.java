package dev.docmesh.meshkit.security;

import static dev.docmesh.meshkit.security.Roles.CLIENT;
import static dev.docmesh.meshkit.security.Roles.MONITOR;
import static dev.docmesh.meshkit.security.Roles.OPERATOR;
import static dev.docmesh.meshkit.security.Roles.WORKER;

import dev.docmesh.proto.monitor.v1.MonitorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import dev.docmesh.proto.telemetry.v1.TelemetryServiceGrpc;
import dev.docmesh.proto.worker.v1.WorkerServiceGrpc;
import io.grpc.MethodDescriptor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Who may call what: the one table of every RPC of every docmesh service and the roles it admits.
 * Default deny: an RPC with no entry is refused, whatever the caller holds, and PolicyCoverageTest
 * fails when an RPC in proto/ has no entry. Whether a {@code client} sees a given job (ownership)
 * is decided by the service on top of this table.
 */
public final class Policy {
  /** What an RPC admits. */
  public sealed interface Rule {}

  /** No credentials needed (health checks: kubelet probes carry none). */
  public record Open() implements Rule {}

  /** Any authenticated principal, whatever its roles (reflection, when it is served). */
  public record Authenticated() implements Rule {}

  /** A principal holding at least one of {@code roles}. */
  public record AnyOf(Set<String> roles) implements Rule {
    public AnyOf {
      roles = Set.copyOf(roles);
    }
  }

  private static final Set<String> OPEN_SERVICES = Set.of("grpc.health.v1.Health");
  private static final Set<String> AUTHENTICATED_SERVICES =
      Set.of("grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection");

  private static final Map<String, Rule> TABLE = build();

  private Policy() {}

  private static Map<String, Rule> build() {
    Map<String, Rule> t = new LinkedHashMap<>();
    // orchestrator, the clients' API; which jobs a client sees is the orchestrator's ownership
    // check
    put(t, OrchestratorServiceGrpc.getUploadDocumentMethod(), CLIENT, OPERATOR);
    put(t, OrchestratorServiceGrpc.getSubmitJobMethod(), CLIENT, OPERATOR);
    put(t, OrchestratorServiceGrpc.getGetJobMethod(), CLIENT, OPERATOR, MONITOR);
    put(t, OrchestratorServiceGrpc.getListJobsMethod(), CLIENT, OPERATOR, MONITOR);
    put(t, OrchestratorServiceGrpc.getCancelJobMethod(), CLIENT, OPERATOR);
    put(t, OrchestratorServiceGrpc.getWatchJobMethod(), CLIENT, OPERATOR, MONITOR);
    put(t, OrchestratorServiceGrpc.getWatchJobsMethod(), CLIENT, OPERATOR, MONITOR);
    put(t, OrchestratorServiceGrpc.getGetJobResultMethod(), CLIENT, OPERATOR);
    put(t, OrchestratorServiceGrpc.getListPipelinesMethod(), CLIENT, OPERATOR, MONITOR);
    put(t, OrchestratorServiceGrpc.getListWorkersMethod(), OPERATOR, MONITOR);
    // orchestrator, the workers' API
    put(t, TaskQueueServiceGrpc.getPollTaskMethod(), WORKER);
    put(t, TaskQueueServiceGrpc.getHeartbeatMethod(), WORKER);
    put(t, TaskQueueServiceGrpc.getCompleteTaskMethod(), WORKER);
    put(t, TaskQueueServiceGrpc.getFailTaskMethod(), WORKER);
    put(t, TaskQueueServiceGrpc.getGetDocumentMethod(), WORKER);
    // processor
    put(t, ProcessorServiceGrpc.getListProcessorsMethod(), CLIENT, WORKER, OPERATOR, MONITOR);
    put(t, ProcessorServiceGrpc.getProcessMethod(), WORKER);
    // worker
    put(t, WorkerServiceGrpc.getGetWorkerStatusMethod(), OPERATOR, MONITOR);
    put(t, WorkerServiceGrpc.getDrainMethod(), OPERATOR);
    // monitor
    put(t, MonitorServiceGrpc.getGetSystemStatusMethod(), OPERATOR, MONITOR);
    put(t, MonitorServiceGrpc.getWatchSystemStatusMethod(), OPERATOR, MONITOR);
    put(t, MonitorServiceGrpc.getGetMetricsSummaryMethod(), OPERATOR, MONITOR);
    put(t, MonitorServiceGrpc.getListAlertsMethod(), OPERATOR, MONITOR);
    put(t, MonitorServiceGrpc.getWatchAlertsMethod(), OPERATOR, MONITOR);
    put(t, MonitorServiceGrpc.getSilenceAlertMethod(), OPERATOR);
    // every service
    put(t, TelemetryServiceGrpc.getGetMetricsMethod(), MONITOR, OPERATOR);
    return Map.copyOf(t);
  }

  private static void put(Map<String, Rule> t, MethodDescriptor<?, ?> method, String... roles) {
    if (t.put(method.getFullMethodName(), new AnyOf(Set.of(roles))) != null) {
      throw new IllegalStateException("two policy entries for " + method.getFullMethodName());
    }
  }

  /** The rule for a full method name ({@code pkg.Service/Method}); empty means refused. */
  public static Optional<Rule> ruleFor(String fullMethodName) {
    Rule r = TABLE.get(fullMethodName);
    if (r != null) {
      return Optional.of(r);
    }
    String service = MethodDescriptor.extractFullServiceName(fullMethodName);
    if (OPEN_SERVICES.contains(service)) {
      return Optional.of(new Open());
    }
    if (AUTHENTICATED_SERVICES.contains(service)) {
      return Optional.of(new Authenticated());
    }
    return Optional.empty();
  }

  /** The application RPCs and their roles, for documentation and tests. */
  public static Map<String, Rule> table() {
    return TABLE;
  }
}
