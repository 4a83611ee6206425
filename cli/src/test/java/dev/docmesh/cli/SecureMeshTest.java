package dev.docmesh.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import dev.docmesh.docgen.Corpus;
import dev.docmesh.localmesh.LocalMesh;
import dev.docmesh.meshkit.security.BearerToken;
import dev.docmesh.meshkit.security.MeshChannels;
import dev.docmesh.meshkit.security.MeshSecurity;
import dev.docmesh.meshkit.security.TlsFiles;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.meshkit.testing.TestPki;
import dev.docmesh.meshkit.testing.TestTokens;
import dev.docmesh.proto.monitor.v1.GetSystemStatusRequest;
import dev.docmesh.proto.monitor.v1.HealthState;
import dev.docmesh.proto.monitor.v1.InstanceStatus;
import dev.docmesh.proto.monitor.v1.MonitorServiceGrpc;
import dev.docmesh.proto.monitor.v1.ServiceStatus;
import dev.docmesh.proto.monitor.v1.SystemStatus;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobResult;
import io.grpc.ManagedChannel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole mesh with mutual TLS and tokens: every service serves mTLS with its certificate, the
 * worker and the monitor reach the others with that certificate as their identity (mapped to the
 * worker and monitor roles), the CLI needs a client certificate and a token. A corpus PDF runs
 * through pdf-standard and the monitor still sees every instance.
 */
class SecureMeshTest {
  private static final Path CORPUS = Corpus.pdfDir();
  private static final String FILE = "pdflatex-4-pages.pdf";

  @TempDir static Path dir;
  static LocalMesh mesh;
  static TestPki pki;
  static TestPki.Issued laptop;
  static Map<String, String> tokens;

  @BeforeAll
  static void startMesh() {
    pki = TestPki.create(dir.resolve("pki"), "mesh");
    TestPki.Issued service =
        pki.issue("docmesh-mesh", "orchestrator", "processor", "worker", "monitor");
    laptop = pki.issue("alice-laptop");
    tokens =
        TestTokens.write(
            dir.resolve("tokens.yaml"),
            Map.of(
                "alice", List.of("client"), "ops", List.of("operator"), "bob", List.of("client")));
    Map<String, String> env = new HashMap<>();
    env.put("DOCMESH_SHUTDOWN_GRACE", "5s");
    env.put(MeshSecurity.TLS_CERT_FILE, service.cert().toString());
    env.put(MeshSecurity.TLS_KEY_FILE, service.key().toString());
    env.put(MeshSecurity.TLS_CA_FILE, pki.caFile().toString());
    env.put(MeshSecurity.AUTH_TOKENS_FILE, dir.resolve("tokens.yaml").toString());
    // one certificate for the four services here; in a cluster each has its own
    // (scripts/dev-certs.sh)
    env.put(MeshSecurity.AUTH_CERT_ROLES, "docmesh-mesh=worker+monitor");
    env.put(MeshSecurity.REFLECTION, "false");
    mesh = LocalMesh.builder(dir.resolve("data")).ephemeralPorts(true).environment(env).start();
  }

  @AfterAll
  static void stopMesh() {
    if (mesh != null) {
      mesh.close();
    }
  }

  record Run(int code, String out, String err) {}

  static Run docmesh(String token, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(
        List.of(
            "--target",
            mesh.orchestratorTarget(),
            "--monitor-target",
            mesh.monitorTarget(),
            "--tls-ca",
            pki.caFile().toString(),
            "--tls-cert",
            laptop.cert().toString(),
            "--tls-key",
            laptop.key().toString()));
    if (token != null) {
      all.addAll(List.of("--token", token));
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Docmesh.run(
            all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void aCorpusPdfRunsThroughPdfStandardWithMutualTlsAndTokens() throws Exception {
    Run submitted =
        docmesh(tokens.get("alice"), "submit", "--json", CORPUS.resolve(FILE).toString());
    assertThat(submitted.code()).as(submitted.err()).isZero();
    Job.Builder job = Job.newBuilder();
    JsonFormat.parser().merge(submitted.out().strip(), job);

    Run watched = docmesh(tokens.get("alice"), "watch", job.getId(), "--json");
    assertThat(watched.code()).as(watched.err()).isZero();
    assertThat(watched.out()).contains("JOB_STATE_SUCCEEDED");

    Run result = docmesh(tokens.get("alice"), "result", job.getId(), "--json");
    assertThat(result.code()).as(result.err()).isZero();
    JobResult.Builder r = JobResult.newBuilder();
    JsonFormat.parser().merge(result.out(), r);
    Struct want = expectedFacts(FILE);
    assertThat(r.getMetadata().getPageCount())
        .isEqualTo((int) want.getFieldsOrThrow("pages").getNumberValue());
    assertThat(r.getMetadata().getProducer())
        .isEqualTo(want.getFieldsOrThrow("producer").getStringValue());
    assertThat(r.getValidation().getValid()).isTrue();
  }

  @Test
  void withoutATokenOrWithTheWrongRoleTheCliIsTurnedAway() {
    Run anonymous = docmesh(null, "pipelines");
    assertThat(anonymous.code()).isEqualTo(Docmesh.JOB_FAILED);
    assertThat(anonymous.err()).startsWith("docmesh: UNAUTHENTICATED");
    Run wrong = docmesh("not-the-token", "pipelines");
    assertThat(wrong.err()).startsWith("docmesh: UNAUTHENTICATED");
    // a client may not list workers; an operator may
    Run client = docmesh(tokens.get("alice"), "workers");
    assertThat(client.err()).startsWith("docmesh: PERMISSION_DENIED");
    Run operator = docmesh(tokens.get("ops"), "workers");
    assertThat(operator.code()).as(operator.err()).isZero();
  }

  @Test
  void aPlaintextClientIsRefused() {
    StringWriter err = new StringWriter();
    int code =
        Docmesh.run(
            new String[] {
              "pipelines", "--target", mesh.orchestratorTarget(), "--token", tokens.get("alice")
            },
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(err, true));
    assertThat(code).isEqualTo(Docmesh.UNREACHABLE);
  }

  @Test
  void theMonitorStillSeesEveryInstanceOverMutualTls() {
    TlsFiles tls =
        new TlsFiles(
            Optional.of(laptop.cert()),
            Optional.of(laptop.key()),
            Optional.of(pki.caFile()),
            Duration.ofMinutes(1));
    ManagedChannel channel =
        new MeshChannels(tls, Optional.of(BearerToken.of(tokens.get("ops"))))
            .forAddress("localhost", mesh.monitor().grpcPort())
            .build();
    try {
      var monitor = MonitorServiceGrpc.newBlockingStub(channel);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                SystemStatus s =
                    monitor
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .getSystemStatus(GetSystemStatusRequest.getDefaultInstance())
                        .getStatus();
                for (String name : List.of("orchestrator", "processor", "worker")) {
                  ServiceStatus service =
                      s.getServicesList().stream()
                          .filter(x -> x.getName().equals(name))
                          .findFirst()
                          .orElseThrow();
                  assertThat(service.getInstancesList()).as(name).hasSize(1);
                  InstanceStatus i = service.getInstances(0);
                  assertThat(i.getHealth()).as(name).isEqualTo(HealthState.HEALTH_STATE_SERVING);
                  // the instance id comes from the instance's TelemetryService: the monitor's
                  // scrape got through
                  assertThat(i.getInstanceId()).as(name).isNotEmpty();
                }
              });
    } finally {
      channel.shutdownNow();
      tls.close();
    }
  }

  @Test
  void theDashboardDataNeedsAToken() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    URI status = URI.create("http://127.0.0.1:" + mesh.monitor().metricsPort() + "/api/status");
    assertThat(
            http.send(HttpRequest.newBuilder(status).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(401);
    assertThat(
            http.send(
                    HttpRequest.newBuilder(status)
                        .header("Authorization", "Bearer " + tokens.get("alice"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(403);
    assertThat(
            http.send(
                    HttpRequest.newBuilder(status)
                        .header("Authorization", "Bearer " + tokens.get("ops"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(200);
    // the page itself (no data) and the probes stay open
    assertThat(Loopback.get(mesh.monitor().metricsPort(), "/").statusCode()).isEqualTo(200);
    assertThat(Loopback.get(mesh.monitor().metricsPort(), "/healthz").statusCode()).isEqualTo(200);
    assertThat(Loopback.get(mesh.orchestrator().metricsPort(), "/metrics").statusCode())
        .isEqualTo(200);
  }

  private static Struct expectedFacts(String file) throws Exception {
    Struct.Builder root = Struct.newBuilder();
    JsonFormat.parser().merge(Files.readString(CORPUS.resolve("expected.json")), root);
    return root.getFieldsOrThrow("files").getListValue().getValuesList().stream()
        .map(v -> v.getStructValue())
        .filter(s -> s.getFieldsOrThrow("file").getStringValue().equals(file))
        .findFirst()
        .orElseThrow();
  }
}
