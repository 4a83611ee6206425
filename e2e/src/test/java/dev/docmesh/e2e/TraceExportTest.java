package dev.docmesh.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.docmesh.docgen.Corpus;
import dev.docmesh.localmesh.LocalMesh;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.orchestrator.OrchestratorMain;
import dev.docmesh.processor.ProcessorMain;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.StageStatus;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.worker.WorkerMain;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One job's story in traces, as an OTLP collector receives it: the mesh (all four services in this
 * JVM, each with its own SDK) exports over OTLP/gRPC to a real TraceService on loopback.
 */
class TraceExportTest {
  private static final String FILE = "pdflatex-4-pages.pdf";

  @TempDir Path dataDir;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private Server collector;
  private LocalMesh mesh;
  private ManagedChannel channel;
  private final List<MeshServer> servers = new java.util.ArrayList<>();

  /** One span with the resource it came with. */
  record Received(Resource resource, Span span) {
    String service() {
      return attribute(resource.getAttributesList(), "service.name").orElse("");
    }

    Optional<String> attribute(String key) {
      return attribute(span.getAttributesList(), key);
    }

    static Optional<String> attribute(List<KeyValue> attributes, String key) {
      return attributes.stream()
          .filter(a -> a.getKey().equals(key))
          .findFirst()
          .map(a -> text(a.getValue()));
    }

    private static String text(AnyValue v) {
      return switch (v.getValueCase()) {
        case STRING_VALUE -> v.getStringValue();
        case INT_VALUE -> Long.toString(v.getIntValue());
        case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
        default -> v.toString();
      };
    }
  }

  @BeforeEach
  void startCollector() throws IOException {
    collector =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                InsecureServerCredentials.create())
            .addService(
                new TraceServiceGrpc.TraceServiceImplBase() {
                  @Override
                  public void export(
                      ExportTraceServiceRequest request,
                      StreamObserver<ExportTraceServiceResponse> response) {
                    for (ResourceSpans rs : request.getResourceSpansList()) {
                      for (ScopeSpans ss : rs.getScopeSpansList()) {
                        for (Span s : ss.getSpansList()) {
                          received.add(new Received(rs.getResource(), s));
                        }
                      }
                    }
                    response.onNext(ExportTraceServiceResponse.getDefaultInstance());
                    response.onCompleted();
                  }
                })
            .build()
            .start();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (mesh != null) {
      mesh.close();
    }
    servers.forEach(MeshServer::close);
    collector.shutdownNow().awaitTermination();
  }

  @Test
  void oneJobIsOneTraceAcrossOrchestratorWorkerAndProcessor() {
    mesh =
        LocalMesh.builder(dataDir)
            .environment(with(otel(), "DOCMESH_SHUTDOWN_GRACE", "5s"))
            .ephemeralPorts(true)
            .orchestratorEnv(
                Map.of(
                    "DOCMESH_DATA_DIR", dataDir.toString(),
                    "DOCMESH_SQLITE_SYNCHRONOUS", "NORMAL",
                    "DOCMESH_INSTANCE_ID", "orchestrator-0"))
            .processorEnv(Map.of("DOCMESH_INSTANCE_ID", "processor-0"))
            .workers(1, Map.of("DOCMESH_INSTANCE_ID", "worker-0", "DOCMESH_WORKER_POLL_WAIT", "2s"))
            .monitor(true)
            .start();
    channel = Loopback.channel(mesh.orchestrator().grpcPort());
    var jobs = OrchestratorServiceGrpc.newBlockingStub(channel);

    String id =
        jobs.submitJob(
                SubmitJobRequest.newBuilder()
                    .setContent(ByteString.copyFrom(Corpus.read(FILE)))
                    .setFilename(FILE)
                    .setMediaType("application/pdf")
                    .setPipeline("pdf-standard")
                    .build())
            .getJob()
            .getId();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                RealMesh.TERMINAL.contains(
                    jobs.getJob(GetJobRequest.newBuilder().setJobId(id).build())
                        .getJob()
                        .getState()));
    Job job = jobs.getJob(GetJobRequest.newBuilder().setJobId(id).build()).getJob();
    assertThat(job.getState()).as("%s", job.getError()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);
    int stages = job.getStagesCount();

    // the job span, then every task attempt and processor run of its trace (exported within ~100
    // ms)
    Received jobSpan =
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> jobSpan(id), Optional::isPresent)
            .orElseThrow();
    ByteString trace = jobSpan.span().getTraceId();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                named(trace, "task ").size() == stages
                    && named(trace, "processor run ").size() >= stages);

    // the job span: the orchestrator's, under the SubmitJob call, with the job's final state
    assertThat(jobSpan.service()).isEqualTo("docmesh-orchestrator");
    assertThat(attr(jobSpan.resource(), "service.instance.id")).contains("orchestrator-0");
    assertThat(jobSpan.span().getName()).isEqualTo("job pdf-standard");
    assertThat(jobSpan.attribute("docmesh.pipeline")).contains("pdf-standard");
    assertThat(jobSpan.attribute("docmesh.job.state")).contains("succeeded");
    Map<ByteString, Received> byId =
        inTrace(trace).stream()
            .collect(Collectors.toMap(r -> r.span().getSpanId(), r -> r, (a, b) -> a));
    Received submit = byId.get(jobSpan.span().getParentSpanId());
    assertThat(submit).as("the job span's parent").isNotNull();
    assertThat(submit.span().getName()).endsWith("OrchestratorService/SubmitJob");
    assertThat(submit.span().getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);

    // one task attempt per stage, each a child of the job span, on the worker
    List<Received> tasks = named(trace, "task ");
    assertThat(tasks)
        .allSatisfy(
            t -> {
              assertThat(t.service()).isEqualTo("docmesh-worker");
              assertThat(attr(t.resource(), "service.instance.id")).contains("worker-0");
              assertThat(t.span().getParentSpanId()).isEqualTo(jobSpan.span().getSpanId());
              assertThat(t.attribute("docmesh.job.id")).contains(id);
              assertThat(t.attribute("docmesh.attempt")).contains("1");
              assertThat(t.attribute("docmesh.outcome")).contains("completed");
            });
    assertThat(
            tasks.stream()
                .map(t -> t.attribute("docmesh.stage").orElseThrow())
                .collect(Collectors.toSet()))
        .isEqualTo(
            job.getStagesList().stream().map(StageStatus::getName).collect(Collectors.toSet()));
    for (StageStatus stage : job.getStagesList()) {
      Received task =
          tasks.stream()
              .filter(t -> t.attribute("docmesh.stage").orElseThrow().equals(stage.getName()))
              .findFirst()
              .orElseThrow();
      assertThat(task.span().getName()).isEqualTo("task " + stage.getName());
      assertThat(task.attribute("docmesh.processor")).contains(stage.getProcessor());
    }

    // each processor run: under the processor's Process server span, which the worker's task
    // attempt called
    List<Received> runs = named(trace, "processor run ");
    Set<ByteString> taskIds =
        tasks.stream().map(t -> t.span().getSpanId()).collect(Collectors.toSet());
    assertThat(runs)
        .allSatisfy(
            run -> {
              assertThat(run.service()).isEqualTo("docmesh-processor");
              assertThat(attr(run.resource(), "service.instance.id")).contains("processor-0");
              assertThat(run.attribute("docmesh.outcome")).contains("ok");
              assertThat(Long.parseLong(run.attribute("docmesh.document.bytes").orElseThrow()))
                  .isEqualTo(Corpus.read(FILE).length);
              Received rpc = byId.get(run.span().getParentSpanId());
              assertThat(rpc).as("parent of %s", run.span().getName()).isNotNull();
              assertThat(rpc.span().getName()).endsWith("ProcessorService/Process");
              assertThat(rpc.span().getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
              assertThat(rpc.service()).isEqualTo("docmesh-processor");
              assertThat(ancestors(rpc, byId))
                  .as("the task attempt above %s", run.span().getName())
                  .containsAnyElementsOf(taskIds);
            });
    // the text stage reports its pages on both sides
    Received textRun =
        runs.stream()
            .filter(r -> r.span().getName().equals("processor run pdf.text"))
            .findFirst()
            .orElseThrow();
    assertThat(textRun.attribute("docmesh.pages")).contains("4");
    assertThat(
            tasks.stream()
                .filter(t -> t.attribute("docmesh.processor").orElseThrow().equals("pdf.text")))
        .singleElement()
        .satisfies(t -> assertThat(t.attribute("docmesh.pages")).contains("4"));

    // every service names itself; the monitor's calls (scrapes of the others) are its own
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                received.stream()
                    .map(Received::service)
                    .collect(Collectors.toSet())
                    .containsAll(
                        Set.of(
                            "docmesh-orchestrator",
                            "docmesh-worker",
                            "docmesh-processor",
                            "docmesh-monitor")));
  }

  @Test
  void aJobThatOutlivesItsOrchestratorKeepsItsTraceAcrossTheRestart() {
    Map<String, String> orchestratorEnv =
        with(
            otel(), "DOCMESH_DATA_DIR", dataDir.toString(), "DOCMESH_SQLITE_SYNCHRONOUS", "NORMAL");
    MeshServer first = OrchestratorMain.start(Loopback.env(orchestratorEnv));
    servers.add(first);
    String id;
    ManagedChannel c = Loopback.channel(first.grpcPort());
    try {
      id =
          OrchestratorServiceGrpc.newBlockingStub(c)
              .submitJob(
                  SubmitJobRequest.newBuilder()
                      .setContent(ByteString.copyFrom(Corpus.read(FILE)))
                      .setFilename(FILE)
                      .setMediaType("application/pdf")
                      .setPipeline("pdf-standard")
                      .build())
              .getJob()
              .getId();
    } finally {
      c.shutdownNow();
    }
    first.close(); // no worker yet: the job is still queued
    servers.remove(first);

    MeshServer second = OrchestratorMain.start(Loopback.env(orchestratorEnv));
    servers.add(second);
    MeshServer processor = ProcessorMain.start(Loopback.env(otel()));
    servers.add(processor);
    Map<String, String> worker =
        with(
            otel(),
            "DOCMESH_ORCHESTRATOR_TARGET",
            "dns:///127.0.0.1:" + second.grpcPort(),
            "DOCMESH_PROCESSOR_TARGET",
            "dns:///127.0.0.1:" + processor.grpcPort());
    servers.add(WorkerMain.start(Loopback.env(with(worker, "DOCMESH_WORKER_POLL_WAIT", "2s"))));
    channel = Loopback.channel(second.grpcPort());
    var jobs = OrchestratorServiceGrpc.newBlockingStub(channel);
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                RealMesh.TERMINAL.contains(
                    jobs.getJob(GetJobRequest.newBuilder().setJobId(id).build())
                        .getJob()
                        .getState()));
    Job job = jobs.getJob(GetJobRequest.newBuilder().setJobId(id).build()).getJob();
    assertThat(job.getState()).as("%s", job.getError()).isEqualTo(JobState.JOB_STATE_SUCCEEDED);

    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                jobSpans(id).size() == 2
                    && named(jobSpans(id).get(0).span().getTraceId(), "task ").size()
                        == job.getStagesCount());
    Received before =
        jobSpans(id).stream()
            .filter(r -> r.attribute("docmesh.job.resumed").isEmpty())
            .findFirst()
            .orElseThrow();
    Received after =
        jobSpans(id).stream()
            .filter(r -> r.attribute("docmesh.job.resumed").isPresent())
            .findFirst()
            .orElseThrow();
    // the first process ended its span at shutdown, without a final state
    assertThat(before.attribute("docmesh.job.open_at_shutdown")).contains("true");
    assertThat(before.attribute("docmesh.job.state")).isEmpty();
    // the next one resumed it under the stored context and saw the end
    assertThat(after.span().getTraceId()).isEqualTo(before.span().getTraceId());
    assertThat(after.span().getParentSpanId()).isEqualTo(before.span().getSpanId());
    assertThat(after.attribute("docmesh.job.state")).contains("succeeded");
    // the tasks carry the stored context: children of the first job span
    assertThat(named(before.span().getTraceId(), "task "))
        .allSatisfy(
            t -> assertThat(t.span().getParentSpanId()).isEqualTo(before.span().getSpanId()));
  }

  /** Every service exports to the collector, in batches 100 ms apart. */
  private Map<String, String> otel() {
    return Map.of(
        "OTEL_TRACES_EXPORTER", "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.getPort(),
        "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc",
        "OTEL_BSP_SCHEDULE_DELAY", "100");
  }

  private static Map<String, String> with(Map<String, String> base, String... keyValues) {
    Map<String, String> m = new HashMap<>(base);
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return m;
  }

  private Optional<Received> jobSpan(String jobId) {
    return jobSpans(jobId).stream().findFirst();
  }

  private List<Received> jobSpans(String jobId) {
    return received.stream()
        .filter(
            r ->
                r.span().getName().startsWith("job ")
                    && r.attribute("docmesh.job.id").orElse("").equals(jobId))
        .toList();
  }

  private List<Received> inTrace(ByteString trace) {
    return received.stream().filter(r -> r.span().getTraceId().equals(trace)).toList();
  }

  private List<Received> named(ByteString trace, String prefix) {
    return inTrace(trace).stream().filter(r -> r.span().getName().startsWith(prefix)).toList();
  }

  private static Optional<String> attr(Resource resource, String key) {
    return Received.attribute(resource.getAttributesList(), key);
  }

  /** Span ids above {@code r}, nearest first, as far as received. */
  private static List<ByteString> ancestors(Received r, Map<ByteString, Received> byId) {
    List<ByteString> up = new java.util.ArrayList<>();
    Map<ByteString, Boolean> seen = new HashMap<>();
    Received at = r;
    while (at != null
        && !at.span().getParentSpanId().isEmpty()
        && seen.put(at.span().getParentSpanId(), true) == null) {
      up.add(at.span().getParentSpanId());
      at = byId.get(at.span().getParentSpanId());
    }
    return up;
  }
}
