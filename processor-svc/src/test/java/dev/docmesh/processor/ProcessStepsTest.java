package dev.docmesh.processor;

import static dev.docmesh.processor.CancellationAndTimeoutTest.calls;
import static dev.docmesh.processor.CancellationAndTimeoutTest.pages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.util.Durations;
import com.google.rpc.BadRequest;
import dev.docmesh.docgen.Corpus;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import dev.docmesh.proto.processor.v1.ProcessStep;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import dev.docmesh.proto.processor.v1.UpstreamOutput;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.prometheus.client.CollectorRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ProcessRequest.then over real gRPC on corpus PDFs: steps run in order on the call's document,
 * each as a call of its own would, and the stream ends with a step's typed error after the results
 * before it.
 */
class ProcessStepsTest {
  private static final String FILE = "pdflatex-4-pages.pdf";

  @RegisterExtension static final ProcessorHarness harness = new ProcessorHarness();

  @Test
  void stepsRunInOrderEachAsASeparateCallWithTheUpstreamItsAfterNames() {
    byte[] pdf = Corpus.read(FILE);
    ProcessorHarness.Events events =
        harness.events(
            ProcessorHarness.request("pdf.validate", pdf)
                .setStage("validate")
                .addThen(step("metadata", "pdf.metadata", "validate"))
                .addThen(step("text", "pdf.text", "validate"))
                .addThen(step("structure", "pdf.structure", "validate"))
                .addThen(
                    step("relationships", "pdf.relationships", "metadata", "text", "structure"))
                .build());

    assertThat(events.error()).isNull();
    Map<String, StageOutput> results = events.results();
    assertThat(results.keySet())
        .containsExactly("", "metadata", "text", "structure", "relationships");
    // each event belongs to the stage whose result comes next: a stage's progress, then its result
    List<ProcessResponse> responses = events.responses();
    for (int i = 0; i < responses.size(); i++) {
      int at = i;
      ProcessResponse resultAfter =
          responses.subList(i, responses.size()).stream()
              .filter(ProcessResponse::hasResult)
              .findFirst()
              .orElseThrow(() -> new AssertionError("event " + at + " after the last result"));
      assertThat(responses.get(i).getStage()).isEqualTo(resultAfter.getStage());
    }
    assertThat(events.progress("text"))
        .extracting(Progress::getDone, Progress::getTotal, Progress::getUnit)
        .containsExactly(
            tuple(1L, 4L, "page"),
            tuple(2L, 4L, "page"),
            tuple(3L, 4L, "page"),
            tuple(4L, 4L, "page"));

    StageOutput validate = harness.process("pdf.validate", pdf).ok();
    UpstreamOutput validated = upstream("validate", "pdf.validate", validate);
    StageOutput metadata = separately("pdf.metadata", pdf, validated);
    StageOutput text = separately("pdf.text", pdf, validated);
    StageOutput structure = separately("pdf.structure", pdf, validated);
    StageOutput relationships =
        separately(
            "pdf.relationships",
            pdf,
            upstream("metadata", "pdf.metadata", metadata),
            upstream("text", "pdf.text", text),
            upstream("structure", "pdf.structure", structure));
    assertThat(results.get("")).isEqualTo(validate);
    assertThat(results.get("metadata")).isEqualTo(metadata);
    assertThat(results.get("text")).isEqualTo(text);
    assertThat(results.get("structure")).isEqualTo(structure);
    assertThat(results.get("relationships")).isEqualTo(relationships);
    assertThat(text.getText().getPagesCount()).isEqualTo(4);
    assertThat(relationships.getRelationships().getRelationshipsList()).isNotEmpty();
  }

  @Test
  void aStepReadsOnlyTheOutputsItsAfterNames() {
    byte[] pdf = Corpus.read(FILE);
    ProcessorHarness.Events events =
        harness.events(
            ProcessorHarness.request("pdf.structure", pdf)
                .setStage("structure")
                .addThen(step("metadata", "pdf.metadata"))
                .addThen(step("relationships", "pdf.relationships", "metadata"))
                .build());

    // pdf.structure ran in this call, but the step does not name it
    assertThat(events.results().keySet()).containsExactly("", "metadata");
    assertThat(Errors.reason(events.error())).contains(Failures.MISSING_UPSTREAM);
    StageOutput metadata = events.results().get("metadata");
    assertSameError(
        events.error(),
        harness
            .process(
                ProcessorHarness.request("pdf.relationships", pdf)
                    .addUpstream(upstream("metadata", "pdf.metadata", metadata))
                    .build())
            .error());
  }

  /** A bad step, the call's second; its first succeeds and a good third must not run. */
  static Stream<Arguments> badSteps() {
    return Stream.of(
        Arguments.of("an unknown processor", step("bad", "pdf.nope", "validate")),
        Arguments.of(
            "an unknown option",
            step("bad", "pdf.text").toBuilder().putOptions("no_such_option", "true").build()),
        Arguments.of(
            "an option value the processor rejects",
            step("bad", "pdf.text").toBuilder().putOptions("sort_by_position", "maybe").build()),
        Arguments.of("a media type it does not read", step("bad", "text.markdown")),
        Arguments.of("a processor that fails", step("bad", "pdf.relationships", "validate")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badSteps")
  void aBadStepEndsTheStreamWithTheErrorItsOwnCallWouldGetAfterTheResultsBeforeIt(
      String what, ProcessStep bad) {
    byte[] pdf = Corpus.read(FILE);
    CollectorRegistry metrics = harness.server.telemetry().registry();
    double runsOfThird = calls(metrics, "pdf.structure", CallSink.OK);

    ProcessorHarness.Events events = harness.events(withBadSecondStep(pdf, bad));

    assertThat(events.results().keySet()).containsExactly("", "metadata");
    assertThat(events.any("third")).isFalse();
    StatusRuntimeException alone =
        harness
            .process(
                ProcessorHarness.request(bad.getProcessor(), pdf)
                    .putAllOptions(bad.getOptionsMap())
                    .addUpstream(upstream("validate", "pdf.validate", events.results().get("")))
                    .build())
            .error();
    assertThat(alone).as("the step's processor alone fails").isNotNull();
    assertSameError(events.error(), alone);
    assertThat(calls(metrics, "pdf.structure", CallSink.OK)).isEqualTo(runsOfThird);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> metrics.getSampleValue("docmesh_processor_in_flight") == 0.0);
  }

  static Stream<Arguments> misplacedSteps() {
    return Stream.of(
        Arguments.of("after a later stage", step("bad", "pdf.text", "third"), "then[1].after"),
        Arguments.of("after an unknown stage", step("bad", "pdf.text", "nope"), "then[1].after"),
        Arguments.of(
            "named like the request's stage", step("validate", "pdf.text"), "then[1].stage"),
        Arguments.of("named like an earlier step", step("metadata", "pdf.text"), "then[1].stage"),
        Arguments.of("without a name", step("", "pdf.text"), "then[1].stage"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("misplacedSteps")
  void aStepOutOfPlaceInTheCallEndsTheStreamWithInvalidArgument(
      String what, ProcessStep bad, String field) {
    byte[] pdf = Corpus.read(FILE);
    CollectorRegistry metrics = harness.server.telemetry().registry();
    double rejected = calls(metrics, "pdf.text", "INVALID_ARGUMENT");

    ProcessorHarness.Events events = harness.events(withBadSecondStep(pdf, bad));

    assertThat(events.results().keySet()).containsExactly("", "metadata");
    assertThat(events.any("third")).isFalse();
    assertThat(events.error().getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(Errors.detail(events.error(), BadRequest.class))
        .get()
        .satisfies(
            b ->
                assertThat(b.getFieldViolationsList())
                    .singleElement()
                    .satisfies(v -> assertThat(v.getField()).isEqualTo(field)));
    // refused before any work, counted as a call of pdf.text refused so would be
    assertThat(calls(metrics, "pdf.text", "INVALID_ARGUMENT")).isEqualTo(rejected + 1);
  }

  @Test
  void aStepsTimeoutEndsTheStreamWithLimitTimeAfterTheFirstResultAndNoLaterStepRuns()
      throws Exception {
    try (ProcessorHarness own = new ProcessorHarness()) {
      ProcessorHarness.Events events =
          own.events(
              ProcessorHarness.request("pdf.validate", Corpus.read(Corpus.LARGE))
                  .setStage("validate")
                  .addThen(step("text", "pdf.text").toBuilder().setTimeout(Durations.fromMillis(1)))
                  .addThen(step("metadata", "pdf.metadata"))
                  .build());

      assertThat(events.results().keySet()).containsExactly("");
      assertThat(events.results().get("").getValidation().getPageCount()).isEqualTo(117);
      assertThat(events.error().getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      assertThat(Errors.reason(events.error())).contains(Failures.LIMIT_TIME);
      assertThat(events.error().getStatus().getDescription())
          .isEqualTo("processing took longer than 1 ms"); // the step's limit, not the call's
      assertThat(events.any("metadata")).isFalse();

      HostileInputTest.awaitNoProcessingThreadBusy();
      CollectorRegistry metrics = own.server.telemetry().registry();
      assertThat(calls(metrics, "pdf.validate", CallSink.OK)).isEqualTo(1);
      assertThat(calls(metrics, "pdf.text", Failures.LIMIT_TIME)).isEqualTo(1);
      assertThat(pages(metrics, "pdf.text")).isLessThan(117);
      assertThat(pages(metrics, "pdf.metadata")).isZero();
      assertThat(metrics.getSampleValue("docmesh_processor_in_flight")).isZero();
    }
  }

  @Test
  void theServersTimeLimitCoversTheWholeCallStepsIncluded() throws Exception {
    byte[] slow = HostileDocuments.generated(500); // pdf.structure needs well over a second for it
    try (ProcessorHarness own =
        new ProcessorHarness(Map.of("DOCMESH_PROCESSOR_TIMEOUT", "600ms"))) {
      own.process("pdf.validate", slow)
          .ok(); // warm: the first run of a JVM takes several times as long
      ProcessorHarness.Events events =
          own.events(
              ProcessorHarness.request("pdf.validate", slow)
                  .addThen(
                      step("structure", "pdf.structure").toBuilder()
                          .setTimeout(Durations.fromHours(1)))
                  .build());

      assertThat(events.results().keySet()).containsExactly("");
      assertThat(Errors.reason(events.error())).contains(Failures.LIMIT_TIME);
      assertThat(events.error().getStatus().getDescription())
          .isEqualTo("processing took longer than 600 ms");
      HostileInputTest.awaitNoProcessingThreadBusy();
      CollectorRegistry metrics = own.server.telemetry().registry();
      assertThat(calls(metrics, "pdf.structure", Failures.LIMIT_TIME)).isEqualTo(1);
      assertThat(pages(metrics, "pdf.structure")).isLessThan(500);
    }
  }

  @Test
  void theLastProgressOfEachStepGoesOutWhateverTheProgressInterval() {
    ProcessorHarness.Events events =
        harness.events(
            ProcessorHarness.request("pdf.validate", Corpus.read(FILE))
                .setProgressInterval(Durations.fromHours(1))
                .addThen(step("metadata", "pdf.metadata"))
                .addThen(step("text", "pdf.text"))
                .build());

    assertThat(events.error()).isNull();
    for (String stage : List.of("metadata", "text")) {
      assertThat(events.progress(stage))
          .as(stage)
          .extracting(Progress::getDone, Progress::getTotal)
          .containsExactly(tuple(4L, 4L));
    }
  }

  @Test
  void aFailingFirstProcessorRunsNoStep() {
    byte[] broken = "%PDF-1.4\nbroken".getBytes(StandardCharsets.US_ASCII);
    ProcessStep reportsAnyway =
        step("validate", "pdf.validate").toBuilder().putOptions("report_only", "true").build();
    // run alone, the step would have had a result
    assertThat(
            harness
                .process(
                    ProcessorHarness.request("pdf.validate", broken)
                        .putAllOptions(reportsAnyway.getOptionsMap())
                        .build())
                .ok()
                .getValidation()
                .getValid())
        .isFalse();
    CollectorRegistry metrics = harness.server.telemetry().registry();
    double validateRuns = calls(metrics, "pdf.validate", CallSink.OK);

    ProcessorHarness.Events failedWhileRunning =
        harness.events(ProcessorHarness.request("pdf.text", broken).addThen(reportsAnyway).build());
    ProcessorHarness.Events refused =
        harness.events(
            ProcessorHarness.request("pdf.text", broken)
                .putOptions("no_such_option", "true")
                .addThen(reportsAnyway)
                .build());

    assertThat(failedWhileRunning.responses()).isEmpty();
    assertThat(Errors.reason(failedWhileRunning.error())).contains(Failures.PDF_CORRUPT);
    assertSameError(failedWhileRunning.error(), harness.process("pdf.text", broken).error());
    assertThat(refused.responses()).isEmpty();
    assertThat(refused.error().getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(calls(metrics, "pdf.validate", CallSink.OK)).isEqualTo(validateRuns);
  }

  @Test
  void cancellingTheCallStopsTheStepThatRuns() throws Exception {
    byte[] slow = HostileDocuments.generated(500); // pdf.structure needs well over a second for it
    try (ProcessorHarness own = new ProcessorHarness()) {
      Context.CancellableContext context = Context.current().withCancellation();
      CompletableFuture<ProcessResponse> firstOfStep = new CompletableFuture<>();
      ProcessRequest request =
          ProcessorHarness.request("pdf.validate", slow)
              .addThen(step("structure", "pdf.structure"))
              .addThen(step("text", "pdf.text"))
              .build();
      context.run(
          () ->
              ProcessorServiceGrpc.newStub(own.channel)
                  .process(
                      request,
                      new StreamObserver<>() {
                        @Override
                        public void onNext(ProcessResponse value) {
                          if (value.getStage().equals("structure") && firstOfStep.complete(value)) {
                            context.cancel(null);
                          }
                        }

                        @Override
                        public void onError(Throwable t) {}

                        @Override
                        public void onCompleted() {}
                      }));
      assertThat(firstOfStep.get(30, TimeUnit.SECONDS).getProgress().getDone()).isEqualTo(1);

      HostileInputTest.awaitNoProcessingThreadBusy();
      CollectorRegistry metrics = own.server.telemetry().registry();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> calls(metrics, "pdf.structure", CallSink.CANCELLED) == 1.0);
      assertThat(calls(metrics, "pdf.validate", CallSink.OK)).isEqualTo(1);
      assertThat(pages(metrics, "pdf.structure")).isLessThan(500);
      assertThat(pages(metrics, "pdf.text")).isZero();
      assertThat(metrics.getSampleValue("docmesh_processor_in_flight")).isZero();
    }
  }

  private static ProcessRequest withBadSecondStep(byte[] pdf, ProcessStep bad) {
    return ProcessorHarness.request("pdf.validate", pdf)
        .setStage("validate")
        .addThen(step("metadata", "pdf.metadata", "validate"))
        .addThen(bad)
        .addThen(step("third", "pdf.structure", "validate"))
        .build();
  }

  static ProcessStep step(String stage, String processor, String... after) {
    return ProcessStep.newBuilder()
        .setStage(stage)
        .setProcessor(processor)
        .addAllAfter(List.of(after))
        .build();
  }

  private static UpstreamOutput upstream(String stage, String processor, StageOutput output) {
    return UpstreamOutput.newBuilder()
        .setStage(stage)
        .setProcessor(processor)
        .setOutput(output)
        .build();
  }

  private static StageOutput separately(String processor, byte[] pdf, UpstreamOutput... upstream) {
    return harness
        .process(ProcessorHarness.request(processor, pdf).addAllUpstream(List.of(upstream)).build())
        .ok();
  }

  /** Same status code, message and google.rpc details (ErrorInfo, BadRequest, ...). */
  private static void assertSameError(StatusRuntimeException actual, StatusRuntimeException alone) {
    assertThat(actual).isNotNull();
    assertThat(StatusProto.fromThrowable(actual)).isEqualTo(StatusProto.fromThrowable(alone));
  }
}
