package dev.docmesh.meshkit.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.server.ServiceLauncher;
import dev.docmesh.meshkit.server.ServiceLauncher.ServiceSpec;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.meshkit.testing.TestPki;
import dev.docmesh.meshkit.testing.TestTokens;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every RPC of every service × {no credentials, wrong token, each role by token, a role by client
 * certificate}, over mutual TLS on loopback, against what issue 14 says each role may do. The
 * expectations are written out here, not derived from {@link Policy}, so a wrong entry in the table
 * fails this test. (Another client's job: the orchestrator's ownership check, see {@link
 * Principal#mayAccessJobOf(String)}, tested over the real orchestrator by its {@code
 * OwnershipTest}: NOT_FOUND on every job RPC, identical to a missing job.)
 */
class AccessMatrixTest {
  /** What each role may call, as the issue states it ("Service/Method"). */
  private static final Map<String, Set<String>> MAY_CALL =
      Map.of(
          Roles.CLIENT,
          Set.of(
              "OrchestratorService/UploadDocument",
              "OrchestratorService/SubmitJob",
              "OrchestratorService/GetJob",
              "OrchestratorService/ListJobs",
              "OrchestratorService/CancelJob",
              "OrchestratorService/WatchJob",
              "OrchestratorService/WatchJobs",
              "OrchestratorService/GetJobResult",
              "OrchestratorService/ListPipelines",
              "ProcessorService/ListProcessors"),
          Roles.WORKER,
          Set.of(
              "TaskQueueService/PollTask",
              "TaskQueueService/Heartbeat",
              "TaskQueueService/CompleteTask",
              "TaskQueueService/FailTask",
              "TaskQueueService/GetDocument",
              "ProcessorService/ListProcessors",
              "ProcessorService/Process"),
          Roles.MONITOR,
          Set.of(
              "TelemetryService/GetMetrics",
              "OrchestratorService/GetJob",
              "OrchestratorService/ListJobs",
              "OrchestratorService/WatchJob",
              "OrchestratorService/WatchJobs",
              "OrchestratorService/ListPipelines",
              "OrchestratorService/ListWorkers",
              "ProcessorService/ListProcessors",
              "WorkerService/GetWorkerStatus",
              "MonitorService/GetSystemStatus",
              "MonitorService/WatchSystemStatus",
              "MonitorService/GetMetricsSummary",
              "MonitorService/ListAlerts",
              "MonitorService/WatchAlerts"),
          Roles.OPERATOR,
          Set.of(
              "OrchestratorService/UploadDocument",
              "OrchestratorService/SubmitJob",
              "OrchestratorService/GetJob",
              "OrchestratorService/ListJobs",
              "OrchestratorService/CancelJob",
              "OrchestratorService/WatchJob",
              "OrchestratorService/WatchJobs",
              "OrchestratorService/GetJobResult",
              "OrchestratorService/ListPipelines",
              "OrchestratorService/ListWorkers",
              "ProcessorService/ListProcessors",
              "WorkerService/GetWorkerStatus",
              "WorkerService/Drain",
              "MonitorService/GetSystemStatus",
              "MonitorService/WatchSystemStatus",
              "MonitorService/GetMetricsSummary",
              "MonitorService/ListAlerts",
              "MonitorService/WatchAlerts",
              "MonitorService/SilenceAlert",
              "TelemetryService/GetMetrics"));

  private static final Queue<Principal> callers = new ConcurrentLinkedQueue<>();
  private static TestPki pki;
  private static Map<String, String> tokens;
  private static MeshServer server;
  private static ManagedChannel anonymous;
  private static ManagedChannel workerCert;
  private static final List<TlsFiles> clientTls = new ArrayList<>();

  @BeforeAll
  static void start(@TempDir Path dir) {
    pki = TestPki.create(dir, "mesh");
    TestPki.Issued serverCert = pki.issue("server");
    tokens =
        TestTokens.write(
            dir.resolve("tokens.yaml"),
            Map.of(
                "alice",
                List.of(Roles.CLIENT),
                "w",
                List.of(Roles.WORKER),
                "mon",
                List.of(Roles.MONITOR),
                "ops",
                List.of(Roles.OPERATOR)));
    Map<String, String> env = new HashMap<>();
    env.put(MeshSecurity.TLS_CERT_FILE, serverCert.cert().toString());
    env.put(MeshSecurity.TLS_KEY_FILE, serverCert.key().toString());
    env.put(MeshSecurity.TLS_CA_FILE, pki.caFile().toString());
    env.put(MeshSecurity.AUTH_TOKENS_FILE, dir.resolve("tokens.yaml").toString());
    env.put(MeshSecurity.AUTH_CERT_ROLES, "worker-7=worker");
    env.put(MeshSecurity.METRICS_REQUIRE_AUTH, "true");
    server =
        ServiceLauncher.start(
            new ServiceSpec("matrix", 0, 0),
            Loopback.env(env),
            (b, e) ->
                Answering.APPLICATION_SERVICES.forEach(
                    sd -> b.addService(Answering.service(sd, callers))));
    anonymous = channel(pki.issue("nobody"));
    workerCert = channel(pki.issue("worker-7"));
  }

  static ManagedChannel channel(TestPki.Issued cert) {
    TlsFiles tls =
        new TlsFiles(
            Optional.of(cert.cert()),
            Optional.of(cert.key()),
            Optional.of(pki.caFile()),
            Duration.ofMinutes(1));
    clientTls.add(tls);
    return new MeshChannels(tls, Optional.empty())
        .forAddress("localhost", server.grpcPort())
        .build();
  }

  @AfterAll
  static void stop() {
    if (anonymous != null) {
      anonymous.shutdownNow();
      workerCert.shutdownNow();
    }
    clientTls.forEach(TlsFiles::close);
    if (server != null) {
      server.close();
    }
  }

  private static String shortName(MethodDescriptor<?, ?> m) {
    String service = m.getServiceName();
    return service.substring(service.lastIndexOf('.') + 1) + "/" + m.getBareMethodName();
  }

  @Test
  void everyRpcAnswersAsThePolicySaysForEveryKindOfCaller() throws Exception {
    List<String> wrong = new ArrayList<>();
    int calls = 0;
    for (ServiceDescriptor sd : Answering.ALL_SERVICES) {
      for (MethodDescriptor<?, ?> m : sd.getMethods()) {
        String name = shortName(m);
        expect(
            wrong,
            name + " without credentials",
            Answering.call(anonymous, m, null),
            Status.Code.UNAUTHENTICATED);
        expect(
            wrong,
            name + " with a wrong token",
            Answering.call(anonymous, m, "not-a-token"),
            Status.Code.UNAUTHENTICATED);
        expect(
            wrong,
            name + " with a wrong token over a mapped certificate",
            Answering.call(workerCert, m, "x"),
            Status.Code.UNAUTHENTICATED);
        for (Map.Entry<String, String> role :
            Map.of(
                    Roles.CLIENT,
                    "alice",
                    Roles.WORKER,
                    "w",
                    Roles.MONITOR,
                    "mon",
                    Roles.OPERATOR,
                    "ops")
                .entrySet()) {
          boolean allowed = MAY_CALL.get(role.getKey()).contains(name);
          callers.clear();
          Status s = Answering.call(anonymous, m, tokens.get(role.getValue()));
          expect(
              wrong,
              name + " as " + role.getKey(),
              s,
              allowed ? Status.Code.OK : Status.Code.PERMISSION_DENIED);
          if (allowed && s.isOk() && !m.getServiceName().endsWith("TelemetryService")) {
            assertThat(callers)
                .extracting(Principal::name)
                .as(name)
                .containsExactly(role.getValue());
          }
          calls++;
        }
        boolean workerMay = MAY_CALL.get(Roles.WORKER).contains(name);
        expect(
            wrong,
            name + " as worker by certificate",
            Answering.call(workerCert, m, null),
            workerMay ? Status.Code.OK : Status.Code.PERMISSION_DENIED);
        calls += 4;
      }
    }
    assertThat(wrong).isEmpty();
    int rpcs = Answering.ALL_SERVICES.stream().mapToInt(sd -> sd.getMethods().size()).sum();
    assertThat(rpcs).isGreaterThanOrEqualTo(26);
    assertThat(calls).isEqualTo(rpcs * 8);
  }

  @Test
  void theCertificatesIdentityReachesTheHandler() throws Exception {
    callers.clear();
    assertThat(
            Answering.call(
                    workerCert,
                    dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc.getPollTaskMethod(),
                    null)
                .getCode())
        .isEqualTo(Status.Code.OK);
    assertThat(callers).containsExactly(new Principal("worker-7", Set.of(Roles.WORKER)));
  }

  @Test
  void healthNeedsNoCredentialsAndReflectionNeedsSome() throws Exception {
    assertThat(Answering.call(anonymous, HealthGrpc.getCheckMethod(), null).getCode())
        .isEqualTo(Status.Code.OK);
    assertThat(
            Answering.call(anonymous, ServerReflectionGrpc.getServerReflectionInfoMethod(), null)
                .getCode())
        .isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(
            Answering.call(
                    anonymous,
                    ServerReflectionGrpc.getServerReflectionInfoMethod(),
                    tokens.get("alice"))
                .getCode())
        .isEqualTo(Status.Code.OK);
  }

  @Test
  void metricsNeedATokenWhenAsked() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    URI metrics = URI.create("http://127.0.0.1:" + server.metricsPort() + "/metrics");
    assertThat(
            http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(401);
    assertThat(
            http.send(
                    HttpRequest.newBuilder(metrics).header("Authorization", "Bearer wrong").build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(401);
    HttpResponse<String> ok =
        http.send(
            HttpRequest.newBuilder(metrics)
                .header("Authorization", "Bearer " + tokens.get("mon"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(ok.statusCode()).isEqualTo(200);
    // refused calls are counted like any other
    assertThat(ok.body()).contains("UNAUTHENTICATED");
    assertThat(Loopback.get(server.metricsPort(), "/healthz").statusCode()).isEqualTo(200);
  }

  private static void expect(List<String> wrong, String what, Status actual, Status.Code expected) {
    if (actual.getCode() != expected) {
      wrong.add(
          what
              + ": expected "
              + expected
              + ", got "
              + actual.getCode()
              + " "
              + actual.getDescription());
    }
  }
}
