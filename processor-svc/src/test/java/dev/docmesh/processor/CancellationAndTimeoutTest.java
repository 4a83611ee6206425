package dev.docmesh.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.prometheus.client.CollectorRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The time limit, the call's deadline and cancellation each stop the work, not only the call. */
class CancellationAndTimeoutTest {
  private static byte[] slow;

  @BeforeAll
  static void makeSlowDocument() {
    slow = HostileDocuments.generated(500); // pdf.structure needs well over a second for it
  }

  @Test
  void configuredTimeLimitEndsTheCallWithLimitTimeAndStopsTheWork() throws Exception {
    try (ProcessorHarness harness =
        new ProcessorHarness(Map.of("DOCMESH_PROCESSOR_TIMEOUT", "400ms"))) {
      long start = System.nanoTime();
      var outcome = harness.process("pdf.structure", slow);
      long tookMs = (System.nanoTime() - start) / 1_000_000;

      assertThat(outcome.error().getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      assertThat(Errors.reason(outcome.error())).contains("LIMIT_TIME");
      // ended by the 400 ms limit (not before it); that it stopped the work shows in the pages
      // below
      assertThat(tookMs).isGreaterThanOrEqualTo(400);
      HostileInputTest.awaitNoProcessingThreadBusy();
      CollectorRegistry metrics = harness.server.telemetry().registry();
      assertThat(calls(metrics, "pdf.structure", "LIMIT_TIME")).isEqualTo(1.0);
      assertThat(pages(metrics, "pdf.structure")).isLessThan(500);
      assertThat(metrics.getSampleValue("docmesh_processor_in_flight")).isZero();
    }
  }

  @Test
  void aSoonerCallDeadlineWinsAndStopsTheWork() throws Exception {
    try (ProcessorHarness harness = new ProcessorHarness()) {
      var it =
          harness
              .stub
              .withDeadlineAfter(400, TimeUnit.MILLISECONDS)
              .process(ProcessorHarness.request("pdf.structure", slow).build());
      Throwable error = null;
      try {
        it.forEachRemaining(r -> {});
      } catch (RuntimeException e) {
        error = e;
      }
      assertThat(Status.fromThrowable(error).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      HostileInputTest.awaitNoProcessingThreadBusy();
      CollectorRegistry metrics = harness.server.telemetry().registry();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> metrics.getSampleValue("docmesh_processor_in_flight") == 0.0);
      assertThat(pages(metrics, "pdf.structure")).isLessThan(500);
    }
  }

  @Test
  void cancellingTheCallStopsTheWork() throws Exception {
    try (ProcessorHarness harness = new ProcessorHarness()) {
      ProcessorServiceGrpc.ProcessorServiceStub async =
          ProcessorServiceGrpc.newStub(harness.channel);
      Context.CancellableContext context = Context.current().withCancellation();
      CompletableFuture<Long> firstProgress = new CompletableFuture<>();
      ProcessRequest request = ProcessorHarness.request("pdf.structure", slow).build();
      context.run(
          () ->
              async.process(
                  request,
                  new StreamObserver<>() {
                    @Override
                    public void onNext(ProcessResponse value) {
                      if (value.hasProgress()
                          && firstProgress.complete(value.getProgress().getDone())) {
                        context.cancel(null);
                      }
                    }

                    @Override
                    public void onError(Throwable t) {}

                    @Override
                    public void onCompleted() {}
                  }));
      assertThat(firstProgress.get(30, TimeUnit.SECONDS)).isEqualTo(1);

      HostileInputTest.awaitNoProcessingThreadBusy();
      CollectorRegistry metrics = harness.server.telemetry().registry();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> calls(metrics, "pdf.structure", "cancelled") == 1.0);
      assertThat(pages(metrics, "pdf.structure")).isLessThan(500);
      assertThat(metrics.getSampleValue("docmesh_processor_in_flight")).isZero();
    }
  }

  static double calls(CollectorRegistry registry, String processor, String outcome) {
    Double v =
        registry.getSampleValue(
            "docmesh_processor_calls_total",
            new String[] {"processor", "outcome"},
            new String[] {processor, outcome});
    return v == null ? 0 : v;
  }

  static double pages(CollectorRegistry registry, String processor) {
    Double v =
        registry.getSampleValue(
            "docmesh_processor_pages_total", new String[] {"processor"}, new String[] {processor});
    return v == null ? 0 : v;
  }
}
