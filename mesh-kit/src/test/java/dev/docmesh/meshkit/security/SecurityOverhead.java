package dev.docmesh.meshkit.security;

import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.server.ServiceLauncher;
import dev.docmesh.meshkit.server.ServiceLauncher.ServiceSpec;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.meshkit.testing.TestPki;
import dev.docmesh.meshkit.testing.TestTokens;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Not a test: GetJob round trips against the same answering server with security off versus mutual
 * TLS + bearer token, alternating rounds so both see the same machine. Prints ratios. Run: java -cp
 * (test classpath) dev.docmesh.meshkit.security.SecurityOverhead
 */
public final class SecurityOverhead {
  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("sec-overhead");
    TestPki pki = TestPki.create(dir, "bench");
    TestPki.Issued server = pki.issue("server");
    TestPki.Issued client = pki.issue("client");
    Map<String, String> tokens =
        TestTokens.write(dir.resolve("tokens.yaml"), Map.of("alice", List.of("client")));
    Map<String, String> env = new HashMap<>();
    env.put(MeshSecurity.TLS_CERT_FILE, server.cert().toString());
    env.put(MeshSecurity.TLS_KEY_FILE, server.key().toString());
    env.put(MeshSecurity.TLS_CA_FILE, pki.caFile().toString());
    env.put(MeshSecurity.AUTH_TOKENS_FILE, dir.resolve("tokens.yaml").toString());
    MeshServer secure =
        ServiceLauncher.start(
            new ServiceSpec("secure", 0, 0),
            Loopback.env(env),
            (b, e) ->
                b.addService(
                    Answering.service(
                        OrchestratorServiceGrpc.getServiceDescriptor(),
                        new ConcurrentLinkedQueue<>())));
    MeshServer open =
        ServiceLauncher.start(
            new ServiceSpec("open", 0, 0),
            Loopback.env(),
            (b, e) ->
                b.addService(
                    Answering.service(
                        OrchestratorServiceGrpc.getServiceDescriptor(),
                        new ConcurrentLinkedQueue<>())));
    TlsFiles tls =
        new TlsFiles(
            Optional.of(client.cert()),
            Optional.of(client.key()),
            Optional.of(pki.caFile()),
            Duration.ofMinutes(1));
    ManagedChannel s =
        new MeshChannels(tls, Optional.of(BearerToken.of(tokens.get("alice"))))
            .forAddress("localhost", secure.grpcPort())
            .build();
    ManagedChannel o = MeshChannels.plaintext().forAddress("localhost", open.grpcPort()).build();
    var secureStub = OrchestratorServiceGrpc.newBlockingStub(s);
    var openStub = OrchestratorServiceGrpc.newBlockingStub(o);
    GetJobRequest req = GetJobRequest.newBuilder().setJobId("job-x").build();
    int n = Integer.parseInt(System.getProperty("calls", "3000"));
    for (int round = 0; round < 8; round++) {
      long[] a = new long[n];
      long[] b = new long[n];
      for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        openStub.getJob(req);
        long t1 = System.nanoTime();
        secureStub.getJob(req);
        long t2 = System.nanoTime();
        a[i] = t1 - t0;
        b[i] = t2 - t1;
      }
      Arrays.sort(a);
      Arrays.sort(b);
      if (round >= 3) { // the first rounds warm the JIT
        System.out.printf(
            "round %d: GetJob p50 off %.0f us, on %.0f us (x%.2f); p90 off %.0f us, on %.0f us (x%.2f)%n",
            round,
            a[n / 2] / 1e3,
            b[n / 2] / 1e3,
            (double) b[n / 2] / a[n / 2],
            a[n * 9 / 10] / 1e3,
            b[n * 9 / 10] / 1e3,
            (double) b[n * 9 / 10] / a[n * 9 / 10]);
      }
    }
    s.shutdownNow();
    o.shutdownNow();
    tls.close();
    secure.close();
    open.close();
  }
}
