package dev.docmesh.meshkit.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.server.ServiceLauncher;
import dev.docmesh.meshkit.server.ServiceLauncher.ServiceSpec;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.meshkit.testing.TestPki;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS and mutual TLS of a MeshServer and MeshChannels over real sockets, with certificates made
 * here.
 */
class TlsTest {
  private static final MethodDescriptor<?, ?> LIST_PIPELINES =
      OrchestratorServiceGrpc.getListPipelinesMethod();

  @TempDir Path dir;
  private TestPki pki;
  private MeshServer server;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<TlsFiles> tlsFiles = new ArrayList<>();
  private final Queue<Principal> callers = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void ca() {
    pki = TestPki.create(dir, "mesh");
  }

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    tlsFiles.forEach(TlsFiles::close);
    if (server != null) {
      server.close();
    }
  }

  private void startServer(TestPki.Issued cert, Path trust) {
    Map<String, String> env = new HashMap<>();
    env.put(MeshSecurity.TLS_CERT_FILE, cert.cert().toString());
    env.put(MeshSecurity.TLS_KEY_FILE, cert.key().toString());
    if (trust != null) {
      env.put(MeshSecurity.TLS_CA_FILE, trust.toString());
    }
    env.put(MeshSecurity.TLS_RELOAD_INTERVAL, "100ms");
    server =
        ServiceLauncher.start(
            new ServiceSpec("tls", 0, 0),
            Loopback.env(env),
            (b, e) ->
                b.addService(
                    Answering.service(OrchestratorServiceGrpc.getServiceDescriptor(), callers)));
  }

  private ManagedChannel client(TestPki.Issued cert, Path trust) {
    TlsFiles tls =
        new TlsFiles(
            Optional.ofNullable(cert).map(TestPki.Issued::cert),
                Optional.ofNullable(cert).map(TestPki.Issued::key),
            Optional.ofNullable(trust), Duration.ofMinutes(1));
    tlsFiles.add(tls);
    ManagedChannel c =
        new MeshChannels(tls, Optional.empty()).forAddress("localhost", server.grpcPort()).build();
    channels.add(c);
    return c;
  }

  private ManagedChannel plaintext() {
    ManagedChannel c = MeshChannels.plaintext().forAddress("localhost", server.grpcPort()).build();
    channels.add(c);
    return c;
  }

  @Test
  void aPlaintextClientCannotTalkToATlsServer() throws Exception {
    startServer(pki.issue("server"), null);
    assertThat(Answering.call(client(null, pki.caFile()), LIST_PIPELINES, null).getCode())
        .isEqualTo(Status.Code.OK);
    assertThat(Answering.call(plaintext(), LIST_PIPELINES, null).getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(callers).hasSize(1);
  }

  @Test
  void aClientWithoutACertificateCannotTalkToAServerThatRequiresOne() throws Exception {
    startServer(pki.issue("server"), pki.caFile());
    assertThat(Answering.call(client(null, pki.caFile()), LIST_PIPELINES, null).getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(Answering.call(plaintext(), LIST_PIPELINES, null).getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(
            Answering.call(client(pki.issue("client"), pki.caFile()), LIST_PIPELINES, null)
                .getCode())
        .isEqualTo(Status.Code.OK);
    assertThat(callers).hasSize(1);
  }

  /**
   * Kubelet gRPC probes cannot do TLS; the Kubernetes security component probes /healthz instead.
   */
  @Test
  void healthzOnThePlaintextPortFollowsGrpcHealthUnderMutualTls() throws Exception {
    startServer(pki.issue("server"), pki.caFile());
    assertThat(Loopback.get(server.metricsPort(), "/healthz").statusCode()).isEqualTo(200);
    server.setServing(false);
    assertThat(Loopback.get(server.metricsPort(), "/healthz").statusCode()).isEqualTo(503);
    server.setServing(true);
    assertThat(Loopback.get(server.metricsPort(), "/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void aCertificateFromAnotherCaIsRefusedEitherWay() throws Exception {
    TestPki other = TestPki.create(dir.resolve("other"), "other");
    startServer(pki.issue("server"), pki.caFile());
    // a client certificate the server's CA did not sign
    assertThat(
            Answering.call(client(other.issue("intruder"), pki.caFile()), LIST_PIPELINES, null)
                .getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
    // a client that trusts only the other CA refuses the server's certificate
    assertThat(
            Answering.call(client(pki.issue("client"), other.caFile()), LIST_PIPELINES, null)
                .getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(callers).isEmpty();
  }

  @Test
  void aServerCertificateForAnotherHostIsRefused() throws Exception {
    startServer(pki.issue("server"), null);
    TlsFiles tls =
        new TlsFiles(
            Optional.empty(), Optional.empty(), Optional.of(pki.caFile()), Duration.ofMinutes(1));
    tlsFiles.add(tls);
    ManagedChannel c =
        new MeshChannels(tls, Optional.empty())
            .forAddress("localhost", server.grpcPort())
            .overrideAuthority("orchestrator.elsewhere:50051")
            .build();
    channels.add(c);
    assertThat(Answering.call(c, LIST_PIPELINES, null).getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void rotatedFilesServeNewConnectionsWhileCallsInFlightFinish() throws Exception {
    TestPki.Issued first = pki.issue("server");
    Path trust = dir.resolve("trust.pem");
    Files.copy(pki.caFile(), trust);
    startServer(first, trust);
    TestPki.Issued client = pki.issue("client");

    // a call held open on a connection made with the first certificate
    ManagedChannel held = client(client, pki.caFile());
    CompletableFuture<Status> heldDone = new CompletableFuture<>();
    CompletableFuture<SSLSession> heldTls = new CompletableFuture<>();
    ClientCall<WatchJobRequest, ?> call =
        held.newCall(
            OrchestratorServiceGrpc.getWatchJobMethod(),
            CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.MINUTES));
    startHeld(call, heldDone, heldTls);
    assertThat(serial(heldTls.get(30, TimeUnit.SECONDS))).isEqualTo(first.serial());

    // the Secret rotates: a new certificate for the server, and a second CA it now also trusts
    TestPki.Issued second = pki.issue("server");
    TestPki next = TestPki.create(dir.resolve("next"), "next");
    TestPki.replace(trust, Files.readString(pki.caFile()) + Files.readString(next.caFile()));
    assertThat(second.serial()).isNotEqualTo(first.serial());

    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> second.serial().equals(servedSerial(client, pki.caFile())));
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                Answering.call(
                        freshChannel(next.issue("from-next-ca"), pki.caFile()),
                        LIST_PIPELINES,
                        null)
                    .isOk());

    // the call that started before the rotation finishes normally
    assertThat(heldDone).isNotDone();
    call.halfClose();
    assertThat(heldDone.get(30, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
  }

  /**
   * Starts a call the server answers only once the client half-closes, and completes {@code tls}
   * with its connection's TLS session when the server's headers arrive. The method must be server
   * streaming: grpc-java does not flush the headers of a method whose server sends one message
   * (unary) — they wait for the response, or for a flush the transport happens to schedule; the
   * only one here (after reading the request) may run before the handler sends its headers, and
   * then they never arrive. That race made this test time out when the JVM was warm (sharing it
   * with another test class).
   */
  private static <R> void startHeld(
      ClientCall<WatchJobRequest, R> call,
      CompletableFuture<Status> done,
      CompletableFuture<SSLSession> tls) {
    call.start(
        new ClientCall.Listener<R>() {
          @Override
          public void onHeaders(Metadata headers) {
            // the call's attributes (its connection's TLS session) are known from here on
            tls.complete(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            tls.completeExceptionally(new AssertionError("closed before headers: " + status));
            done.complete(status);
          }
        },
        new Metadata());
    call.request(1);
    call.sendMessage(WatchJobRequest.getDefaultInstance());
  }

  private ManagedChannel freshChannel(TestPki.Issued cert, Path trust) {
    return client(cert, trust);
  }

  /** The serial of the certificate the server presents to a new connection. */
  private BigInteger servedSerial(TestPki.Issued cert, Path trust) throws Exception {
    ManagedChannel c = client(cert, trust);
    ClientCall<WatchJobRequest, ?> call =
        c.newCall(
            OrchestratorServiceGrpc.getWatchJobMethod(),
            CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
    CompletableFuture<Status> done = new CompletableFuture<>();
    CompletableFuture<SSLSession> tls = new CompletableFuture<>();
    startHeld(call, done, tls);
    tls.get(30, TimeUnit.SECONDS);
    call.halfClose();
    assertThat(done.get(30, TimeUnit.SECONDS).isOk()).isTrue();
    c.shutdownNow();
    return serial(tls.get());
  }

  private static BigInteger serial(SSLSession session) throws Exception {
    return ((X509Certificate) session.getPeerCertificates()[0]).getSerialNumber();
  }
}
