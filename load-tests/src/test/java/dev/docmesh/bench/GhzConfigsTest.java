package dev.docmesh.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.DynamicMessage;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every ghz config of load-tests/ghz, checked without ghz against the four services started from
 * their runnable jars: the call resolves (reflection or protoset), the rendered data parses into
 * the request, and the request, sent once, is answered OK.
 */
class GhzConfigsTest {
  static final Path ROOT =
      Path.of(System.getProperty("docmesh.root", "..")).toAbsolutePath().normalize();
  static final Path CONFIGS = ROOT.resolve("load-tests/ghz");
  static final List<ServiceProcess> services = new ArrayList<>();
  static Map<String, ManagedChannel> channels;
  static String jobId;

  @BeforeAll
  static void startMesh() throws Exception {
    Path work = Files.createTempDirectory("ghz-configs");
    ServiceProcess orchestrator =
        start("orchestrator", Map.of("DOCMESH_DATA_DIR", work.resolve("orch").toString()), work);
    ServiceProcess processor = start("processor", Map.of(), work);
    ServiceProcess worker =
        start(
            "worker",
            Map.of(
                "DOCMESH_ORCHESTRATOR_TARGET", "dns:///" + orchestrator.target(),
                "DOCMESH_PROCESSOR_TARGET", "dns:///" + processor.target(),
                "DOCMESH_WORKER_MAX_CPU", "1"),
            work);
    ServiceProcess monitor =
        start(
            "monitor",
            Map.of(
                "DOCMESH_MONITOR_TARGETS",
                "orchestrator="
                    + orchestrator.target()
                    + ",processor="
                    + processor.target()
                    + ",worker="
                    + worker.target(),
                "DOCMESH_MONITOR_JOBS_TARGET",
                "off"),
            work);
    channels =
        Map.of(
            "orchestrator",
            orchestrator.channel(),
            "processor",
            processor.channel(),
            "worker",
            worker.channel(),
            "monitor",
            monitor.channel());
    jobId = Seed.seed(orchestrator.target(), CONFIGS.resolve("small.pdf"));
  }

  private static ServiceProcess start(String name, Map<String, String> env, Path work) {
    ServiceProcess p = ServiceProcess.start(ROOT, name, env, work);
    services.add(p);
    return p;
  }

  @AfterAll
  static void stopMesh() {
    services.forEach(ServiceProcess::close);
  }

  static List<Path> configs(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
  }

  @TestFactory
  Stream<DynamicTest> everyConfigResolvesParsesAndIsAnsweredOk() throws IOException {
    List<Path> files = configs(CONFIGS);
    assertThat(files).hasSizeGreaterThanOrEqualTo(10);
    return files.stream()
        .map(
            f ->
                DynamicTest.dynamicTest(
                    f.getFileName().toString(),
                    () ->
                        callOnce(
                            GhzConfigCheck.check(f, channels, Map.of("@JOB_ID@", jobId)),
                            channels)));
  }

  /** Sends the config's request once with its metadata: answered OK (streams must stream). */
  static void callOnce(GhzConfigCheck.Checked c, Map<String, ManagedChannel> channels) {
    Metadata headers = new Metadata();
    c.metadata()
        .forEach((k, v) -> headers.put(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER), v));
    var channel =
        ClientInterceptors.intercept(
            channels.get(c.service()), MetadataUtils.newAttachHeadersInterceptor(headers));
    var method = GhzConfigCheck.grpcMethod(c.method());
    CallOptions opts = CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS);
    if (c.method().isServerStreaming()) {
      Iterator<DynamicMessage> it =
          ClientCalls.blockingServerStreamingCall(channel, method, opts, c.request());
      int n = 0;
      while (it.hasNext()) {
        it.next();
        n++;
      }
      assertThat(n).as("messages streamed").isPositive();
    } else {
      assertThat(ClientCalls.blockingUnaryCall(channel, method, opts, c.request())).isNotNull();
    }
  }

  @Test
  void brokenConfigsAreRejected(@TempDir Path dir) throws IOException {
    String good = Files.readString(CONFIGS.resolve("get-job.json"));
    Map<String, String> broken =
        Map.of(
            "unknown-method.json", good.replace(".GetJob\"", ".GetJobs\""),
            "unknown-service.json",
                good.replace("OrchestratorService.GetJob", "OrchestratorSvc.GetJob"),
            "bad-field.json", good.replace("\"job_id\"", "\"jobid_x\""),
            "bad-template.json", good.replace("@JOB_ID@", "{{.RequestNumbr}}"),
            "typo-option.json", good.replace("\"rps\"", "\"rate\""),
            "bad-duration.json", good.replace("\"20s\"", "\"20 seconds\""),
            "wrong-port.json", good.replace("localhost:50051", "localhost:50099"));
    for (Map.Entry<String, String> b : broken.entrySet()) {
      assertThat(b.getValue()).as(b.getKey() + " differs from the good config").isNotEqualTo(good);
      Path f = dir.resolve(b.getKey());
      Files.writeString(f, b.getValue());
      assertThatThrownBy(() -> GhzConfigCheck.check(f, channels, Map.of("@JOB_ID@", jobId)))
          .as(b.getKey())
          .isInstanceOf(IllegalArgumentException.class);
    }
    String step =
        Files.readString(CONFIGS.resolve("submit-job-step.json"))
            .replace("\"load-step-duration\"", "\"load-step-durations\"");
    Path f = dir.resolve("step.json");
    Files.writeString(f, step);
    assertThatThrownBy(() -> GhzConfigCheck.check(f, channels, Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void templatesRenderAsGhzRendersThem() {
    var md =
        dev.docmesh.proto.orchestrator.v1.OrchestratorServiceProto.getDescriptor()
            .findServiceByName("OrchestratorService")
            .findMethodByName("SubmitJob");
    String out =
        GhzConfigCheck.render(
            "r-{{.RequestNumber}} {{newUUID}} {{ randomString 8 }} {{randomInt 1 9}} {{.MethodName}}",
            GhzConfigCheck.templateContext(md, 7),
            "t");
    assertThat(out).matches("r-7 [0-9a-f-]{36} [a-z]{8} [1-8] SubmitJob");
  }

  @Test
  void theClusterComponentCarriesTheSameConfigs() throws IOException {
    Path k8s = ROOT.resolve("k8s/components/load/ghz");
    List<String> expected =
        configs(CONFIGS).stream()
            .map(p -> p.getFileName().toString())
            .filter(n -> !n.contains(".protoset."))
            .toList();
    List<String> actual = configs(k8s).stream().map(p -> p.getFileName().toString()).toList();
    assertThat(actual)
        .as("k8s/components/load/ghz (refresh with load-tests/run.sh --sync-k8s)")
        .isEqualTo(expected);
    for (String n : expected) {
      assertThat(Files.readString(k8s.resolve(n)))
          .as(n)
          .isEqualTo(Files.readString(CONFIGS.resolve(n)));
    }
  }
}
