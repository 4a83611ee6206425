package dev.docmesh.meshkit.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.server.ServiceLauncher;
import dev.docmesh.meshkit.server.ServiceLauncher.ServiceSpec;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What scripts/dev-certs.sh writes is what the services and clients read: a server and its callers
 * with it.
 */
class DevCertsScriptTest {
  private static final Path SCRIPT = Path.of("..", "scripts", "dev-certs.sh");

  @TempDir Path dir;
  private MeshServer server;
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void theScriptsCertificatesAndTokensSecureARealServer() throws Exception {
    assumeTrue(
        new ProcessBuilder("openssl", "version").start().waitFor() == 0, "openssl is installed");
    Path out = dir.resolve("certs");
    Process p =
        new ProcessBuilder("bash", SCRIPT.toString(), out.toString())
            .redirectErrorStream(true)
            .start();
    String log = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(log).isZero();

    Queue<Principal> callers = new ConcurrentLinkedQueue<>();
    server =
        ServiceLauncher.start(
            new ServiceSpec("orchestrator", 0, 0),
            Loopback.env(
                Map.of(
                    MeshSecurity.TLS_CERT_FILE, out.resolve("orchestrator.crt").toString(),
                    MeshSecurity.TLS_KEY_FILE, out.resolve("orchestrator.key").toString(),
                    MeshSecurity.TLS_CA_FILE, out.resolve("ca.crt").toString(),
                    MeshSecurity.AUTH_TOKENS_FILE, out.resolve("tokens.yaml").toString(),
                    MeshSecurity.AUTH_CERT_ROLES, "worker=worker,monitor=monitor")),
            (b, e) -> {
              b.addService(
                  Answering.service(OrchestratorServiceGrpc.getServiceDescriptor(), callers));
              b.addService(Answering.service(TaskQueueServiceGrpc.getServiceDescriptor(), callers));
            });

    String clientToken = Files.readString(out.resolve("client.token")).strip();
    ManagedChannel cli = channel(out, "client", "orchestrator.docmesh.svc");
    assertThat(
            Answering.call(cli, OrchestratorServiceGrpc.getListPipelinesMethod(), clientToken)
                .getCode())
        .isEqualTo(Status.Code.OK);
    assertThat(
            Answering.call(cli, OrchestratorServiceGrpc.getListPipelinesMethod(), null).getCode())
        .isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(Answering.call(cli, TaskQueueServiceGrpc.getPollTaskMethod(), clientToken).getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    // the worker by its certificate alone
    assertThat(
            Answering.call(
                    channel(out, "worker", "orchestrator"),
                    TaskQueueServiceGrpc.getPollTaskMethod(),
                    null)
                .getCode())
        .isEqualTo(Status.Code.OK);
    // every plain token in tokens.txt is accepted under its name
    for (String line : Files.readAllLines(out.resolve("tokens.txt"))) {
      String token = line.substring(line.indexOf('=') + 1);
      callers.clear();
      Status s = Answering.call(cli, OrchestratorServiceGrpc.getListPipelinesMethod(), token);
      assertThat(s.getCode() == Status.Code.OK || s.getCode() == Status.Code.PERMISSION_DENIED)
          .as(line)
          .isTrue();
      assertThat(s.getCode()).as(line).isNotEqualTo(Status.Code.UNAUTHENTICATED);
    }
  }

  /**
   * A channel with {@code name}'s certificate, dialling 127.0.0.1 as {@code authority} (a Service
   * name).
   */
  private ManagedChannel channel(Path certs, String name, String authority) {
    TlsFiles tls =
        new TlsFiles(
            Optional.of(certs.resolve(name + ".crt")),
            Optional.of(certs.resolve(name + ".key")),
            Optional.of(certs.resolve("ca.crt")),
            Duration.ofMinutes(1));
    open.add(tls);
    ManagedChannel c =
        new MeshChannels(tls, Optional.empty())
            .forAddress("127.0.0.1", server.grpcPort())
            .overrideAuthority(authority + ":" + server.grpcPort())
            .build();
    open.add(c::shutdownNow);
    return c;
  }
}
