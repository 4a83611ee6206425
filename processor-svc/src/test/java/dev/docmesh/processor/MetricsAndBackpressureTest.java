package dev.docmesh.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.rpc.RetryInfo;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.prometheus.client.CollectorRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The processor's domain metrics, and a full pool answering PROCESSOR_BUSY instead of queueing
 * without bound.
 */
class MetricsAndBackpressureTest {

  @Test
  void callsSecondsPagesAndInFlightAreRecordedAndExported() throws Exception {
    try (ProcessorHarness harness = new ProcessorHarness()) {
      harness.process("pdf.text", HostileDocuments.generated(3)).ok();
      harness.process(
          "pdf.text", "%PDF-1.4\nbroken".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      harness.process("pdf.text", new byte[0]);
      harness.process("no.such.processor", new byte[] {1});

      CollectorRegistry metrics = harness.server.telemetry().registry();
      assertThat(CancellationAndTimeoutTest.calls(metrics, "pdf.text", "ok")).isEqualTo(1);
      assertThat(CancellationAndTimeoutTest.calls(metrics, "pdf.text", "PDF_CORRUPT")).isEqualTo(1);
      assertThat(CancellationAndTimeoutTest.calls(metrics, "pdf.text", "EMPTY_DOCUMENT"))
          .isEqualTo(1);
      assertThat(
              CancellationAndTimeoutTest.calls(metrics, "no.such.processor", "UNKNOWN_PROCESSOR"))
          .isZero();
      assertThat(CancellationAndTimeoutTest.pages(metrics, "pdf.text")).isEqualTo(3);
      assertThat(
              metrics.getSampleValue(
                  "docmesh_processor_seconds_count",
                  new String[] {"processor"},
                  new String[] {"pdf.text"}))
          .isEqualTo(2);
      assertThat(metrics.getSampleValue("docmesh_processor_in_flight")).isZero();

      String exported = Loopback.get(harness.server.metricsPort(), "/metrics").body();
      assertThat(exported)
          .contains("docmesh_processor_calls_total{processor=\"pdf.text\",outcome=\"ok\",} 1.0")
          .contains("docmesh_processor_seconds_bucket{processor=\"pdf.text\"")
          .contains("docmesh_processor_pages_total{processor=\"pdf.text\",} 3.0")
          .contains("docmesh_processor_in_flight 0.0");
    }
  }

  @Test
  void concurrentCallsEachGetTheirOwnResult() throws Exception {
    try (ProcessorHarness harness =
        new ProcessorHarness(Map.of("DOCMESH_PROCESSOR_THREADS", "2"))) {
      java.util.concurrent.ExecutorService clients =
          java.util.concurrent.Executors.newFixedThreadPool(8);
      try {
        List<java.util.concurrent.Future<ProcessorHarness.Outcome>> calls =
            new java.util.ArrayList<>();
        for (int n = 1; n <= 8; n++) {
          byte[] doc = HostileDocuments.generated(n);
          calls.add(clients.submit(() -> harness.process("pdf.structure", doc)));
        }
        for (int n = 1; n <= 8; n++) {
          var outcome = calls.get(n - 1).get(60, TimeUnit.SECONDS);
          List<dev.docmesh.proto.document.v1.Element> elements =
              outcome.ok().getElements().getElementsList();
          assertThat(outcome.progress()).hasSize(n);
          assertThat(elements.get(elements.size() - 1).getPageNumber())
              .isEqualTo(n); // its own document, not another's
        }
      } finally {
        clients.shutdownNow();
      }
      assertThat(
              harness.server.telemetry().registry().getSampleValue("docmesh_processor_in_flight"))
          .isZero();
    }
  }

  @Test
  void aFullPoolRejectsWithRetryInfoAndCountsTheCallInFlightMeanwhile() throws Exception {
    byte[] slow = HostileDocuments.generated(300);
    try (ProcessorHarness harness =
        new ProcessorHarness(
            Map.of("DOCMESH_PROCESSOR_THREADS", "1", "DOCMESH_PROCESSOR_QUEUE", "0"))) {
      CompletableFuture<Void> busy = new CompletableFuture<>();
      CompletableFuture<Throwable> firstEnded = new CompletableFuture<>();
      ProcessorServiceGrpc.newStub(harness.channel)
          .withDeadlineAfter(60, TimeUnit.SECONDS)
          .process(
              ProcessorHarness.request("pdf.structure", slow).build(),
              new StreamObserver<>() {
                @Override
                public void onNext(ProcessResponse value) {
                  busy.complete(null);
                }

                @Override
                public void onError(Throwable t) {
                  firstEnded.complete(t);
                }

                @Override
                public void onCompleted() {
                  firstEnded.complete(null);
                }
              });
      busy.get(30, TimeUnit.SECONDS);
      CollectorRegistry metrics = harness.server.telemetry().registry();
      assertThat(metrics.getSampleValue("docmesh_processor_in_flight")).isEqualTo(1);

      var rejected = harness.process("pdf.text", HostileDocuments.generated(1));
      assertThat(rejected.error().getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(Errors.reason(rejected.error())).contains("PROCESSOR_BUSY");
      // README (DOCMESH_PROCESSOR_QUEUE): a RetryInfo of 1 s
      assertThat(Errors.detail(rejected.error(), RetryInfo.class))
          .get()
          .extracting(r -> r.getRetryDelay())
          .isEqualTo(com.google.protobuf.Duration.newBuilder().setSeconds(1).build());

      assertThat(firstEnded.get(60, TimeUnit.SECONDS)).isNull();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> metrics.getSampleValue("docmesh_processor_in_flight") == 0.0);
      assertThat(
              harness
                  .process("pdf.text", HostileDocuments.generated(1))
                  .ok()
                  .getText()
                  .getPagesCount())
          .isEqualTo(1);
    }
  }
}
