package dev.docmesh.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The cluster's ghz configs as k8s/components/load-secure runs them: run-scenario.sh rewrites each
 * with k8s/components/load/secure-config.sh for mutual TLS + a token + the protoset (reflection is
 * off on the secure overlay). Run here on every config, against orchestrator, processor and worker
 * started with mutual TLS and tokens from scripts/dev-certs.sh (the harness's --secure mesh): the
 * result is a ghz config whose TLS files exist, whose call resolves in the protoset (health
 * included), and whose request, sent over mutual TLS with only the config's own metadata as
 * credentials, is answered — so the token chosen for each scenario has the role its call needs.
 */
class SecureGhzConfigsTest {
  static final Path ROOT = GhzConfigsTest.ROOT;
  static final Path CLUSTER_CONFIGS = ROOT.resolve("k8s/components/load/ghz");
  static final List<ServiceProcess> services = new ArrayList<>();
  static BenchSecurity security;
  static Map<String, ManagedChannel> channels;
  static String jobId;
  static Path tlsDir;
  static Path tokenDir;
  static Path protoset;
  static Path work;

  @BeforeAll
  static void startSecureMesh() throws Exception {
    work = Files.createTempDirectory("ghz-secure");
    security = BenchSecurity.devCerts(ROOT, work.resolve("certs"));
    ServiceProcess orchestrator =
        start("orchestrator", Map.of("DOCMESH_DATA_DIR", work.resolve("orch").toString()));
    ServiceProcess processor = start("processor", Map.of());
    start(
        "worker",
        Map.of(
            "DOCMESH_ORCHESTRATOR_TARGET", "dns:///" + orchestrator.target(),
            "DOCMESH_PROCESSOR_TARGET", "dns:///" + processor.target(),
            "DOCMESH_WORKER_MAX_CPU", "1"));
    // mutual TLS, and no token of the channel's own: a call carries only the config's metadata
    channels =
        Map.of(
            "orchestrator",
            Clients.channel(security.withoutToken(), orchestrator.target()),
            "processor",
            Clients.channel(security.withoutToken(), processor.target()));
    byte[] pdf = Files.readAllBytes(GhzConfigsTest.CONFIGS.resolve("small.pdf"));
    jobId = Seed.seed(orchestrator.channel(), pdf, "small.pdf"); // owned by the client token
    // the mounts of k8s/components/load-secure, from the same dev-certs.sh output
    tlsDir = Files.createDirectories(work.resolve("client-tls"));
    Files.copy(security.file("ca.crt"), tlsDir.resolve("ca.crt"));
    Files.copy(security.file("client.crt"), tlsDir.resolve("tls.crt"));
    Files.copy(security.file("client.key"), tlsDir.resolve("tls.key"));
    tokenDir = Files.createDirectories(work.resolve("load-tokens"));
    Files.copy(security.file("client.token"), tokenDir.resolve("client"));
    Files.copy(security.file("worker.token"), tokenDir.resolve("worker"));
    protoset = work.resolve("protoset/docmesh.protoset");
    Protoset.write(protoset);
  }

  private static ServiceProcess start(String name, Map<String, String> env) {
    ServiceProcess p = ServiceProcess.start(ROOT, name, env, work, security);
    services.add(p);
    return p;
  }

  @AfterAll
  static void stopMesh() {
    if (channels != null) {
      channels.values().forEach(ManagedChannel::shutdownNow);
    }
    services.forEach(ServiceProcess::close);
    if (security != null) {
      security.close();
    }
  }

  /** secure-config.sh IN OUT with the load-secure component's variables. */
  private static Path secure(Path config, Path out) throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(
                "sh",
                ROOT.resolve("k8s/components/load/secure-config.sh").toString(),
                config.toString(),
                out.toString())
            .redirectErrorStream(true);
    pb.environment().put("GHZ_TLS_DIR", tlsDir.toString());
    pb.environment().put("GHZ_TOKEN_DIR", tokenDir.toString());
    pb.environment().put("GHZ_PROTOSET", protoset.toString());
    Process p = pb.start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("secure-config.sh " + config + ": " + log).isZero();
    return out;
  }

  @TestFactory
  Stream<DynamicTest> everyClusterConfigRewrittenForTlsAndTokenIsAnswered() throws IOException {
    List<Path> files = GhzConfigsTest.configs(CLUSTER_CONFIGS);
    assertThat(files).hasSizeGreaterThanOrEqualTo(10);
    Path outDir = Files.createDirectories(work.resolve("configs"));
    return files.stream()
        .map(
            f ->
                DynamicTest.dynamicTest(
                    f.getFileName().toString(),
                    () -> {
                      Path out = secure(f, outDir.resolve(f.getFileName()));
                      JsonObject c =
                          JsonParser.parseString(Files.readString(out)).getAsJsonObject();
                      assertThat(c.has("insecure")).isFalse();
                      assertThat(c.get("cacert").getAsString())
                          .isEqualTo(tlsDir.resolve("ca.crt").toString());
                      assertThat(c.get("protoset").getAsString()).isEqualTo(protoset.toString());
                      // the config's own metadata is kept next to the token
                      JsonObject original =
                          JsonParser.parseString(Files.readString(f)).getAsJsonObject();
                      if (original.has("metadata")) {
                        assertThat(c.getAsJsonObject("metadata").keySet())
                            .containsAll(original.getAsJsonObject("metadata").keySet());
                      }
                      GhzConfigsTest.callOnce(
                          GhzConfigCheck.check(out, channels, Map.of("@JOB_ID@", jobId), true),
                          channels);
                    }));
  }

  /** Without the token the rewrite adds, the secured mesh refuses the same call. */
  @Test
  void theTokenIsWhatLetsTheCallIn() throws Exception {
    Path out = secure(CLUSTER_CONFIGS.resolve("get-job.json"), work.resolve("no-token.json"));
    String text = Files.readString(out);
    assertThat(text).contains("\"authorization\": \"Bearer ");
    Path stripped = work.resolve("stripped.json");
    Files.writeString(
        stripped,
        text.replaceAll("(?m)^  \"metadata\": \\{\"authorization\": \"Bearer [^\"]*\"\\},\\n", ""));
    GhzConfigCheck.Checked c =
        GhzConfigCheck.check(stripped, channels, Map.of("@JOB_ID@", jobId), true);
    assertThat(c.metadata()).doesNotContainKey("authorization");
    assertThatThrownBy(() -> GhzConfigsTest.callOnce(c, channels))
        .hasMessageContaining("UNAUTHENTICATED");
    // and a plaintext config is rejected for this mesh before any call
    assertThatThrownBy(
            () ->
                GhzConfigCheck.check(
                    CLUSTER_CONFIGS.resolve("get-job.json"),
                    channels,
                    Map.of("@JOB_ID@", jobId),
                    true))
        .hasMessageContaining("insecure");
  }
}
