package dev.docmesh.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.docmesh.docgen.Corpus;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.document.v1.ValidationReport;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile input is normal input: every case ends as its typed failure, and the server keeps
 * serving.
 */
class HostileInputTest {
  @TempDir static Path temp;
  private static ProcessorHarness harness;

  @BeforeAll
  static void start() {
    harness =
        new ProcessorHarness(
            Map.of(
                "DOCMESH_MAX_DOCUMENT_BYTES", "1MiB",
                "DOCMESH_PROCESSOR_MAX_PAGES", "50",
                "DOCMESH_PDF_MAX_STREAM_BYTES", "16MiB",
                "DOCMESH_PDF_MAIN_MEMORY", "8MiB",
                "DOCMESH_PDF_TEMP_BYTES", "32MiB",
                "DOCMESH_PDF_TEMP_DIR", temp.toString()));
  }

  @AfterAll
  static void stop() throws InterruptedException {
    harness.close();
  }

  static Stream<Arguments> cases() {
    byte[] small = HostileDocuments.generated(2);
    return Stream.of(
        Arguments.of("empty", new byte[0], Status.Code.INVALID_ARGUMENT, "EMPTY_DOCUMENT"),
        Arguments.of(
            "plain text",
            "just some text, not a PDF\n".getBytes(StandardCharsets.UTF_8),
            Status.Code.INVALID_ARGUMENT,
            "NOT_A_PDF"),
        Arguments.of(
            "binary",
            new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13, 1, 2, 3},
            Status.Code.INVALID_ARGUMENT,
            "NOT_A_PDF"),
        Arguments.of(
            "header only",
            "%PDF-1.7\n".getBytes(StandardCharsets.US_ASCII),
            Status.Code.INVALID_ARGUMENT,
            "PDF_CORRUPT"),
        Arguments.of(
            "truncated",
            HostileDocuments.truncated(small, 400),
            Status.Code.INVALID_ARGUMENT,
            "PDF_CORRUPT"),
        Arguments.of(
            "corrupt beyond repair",
            HostileDocuments.withoutObjects(small),
            Status.Code.INVALID_ARGUMENT,
            "PDF_CORRUPT"),
        Arguments.of(
            "encrypted",
            HostileDocuments.encrypted(small, "user-secret"),
            Status.Code.FAILED_PRECONDITION,
            "PDF_ENCRYPTED"),
        Arguments.of(
            "deeply nested object",
            HostileDocuments.deeplyNestedObject(200_000),
            Status.Code.RESOURCE_EXHAUSTED,
            "LIMIT_NESTING"),
        Arguments.of(
            "deeply nested content",
            HostileDocuments.deeplyNestedContent(200_000),
            Status.Code.RESOURCE_EXHAUSTED,
            "LIMIT_NESTING"),
        Arguments.of(
            "decompression bomb",
            HostileDocuments.decompressionBomb(256L << 20),
            Status.Code.RESOURCE_EXHAUSTED,
            "LIMIT_MEMORY"),
        Arguments.of(
            "too many pages",
            HostileDocuments.generated(51),
            Status.Code.RESOURCE_EXHAUSTED,
            "LIMIT_PAGES"),
        Arguments.of(
            "too large", Corpus.read(Corpus.LARGE), Status.Code.RESOURCE_EXHAUSTED, "LIMIT_BYTES"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void endsAsTypedFailureAndServerStaysServing(
      String name, byte[] content, Status.Code code, String reason) {
    for (String processor :
        new String[] {"pdf.validate", "pdf.text", "pdf.structure", "pdf.metadata"}) {
      var outcome = harness.process(ProcessorHarness.request(processor, content).build(), 30);
      assertThat(outcome.error()).as(processor + " on " + name).isNotNull();
      assertThat(outcome.error().getStatus().getCode())
          .as(processor + " on " + name + ": " + outcome.error().getStatus())
          .isEqualTo(code);
      assertThat(Errors.reason(outcome.error())).as(processor + " on " + name).contains(reason);
    }
    assertServing();
  }

  @Test
  void aCorruptXrefIsRepairedAndReportedAsSuch() {
    byte[] broken = HostileDocuments.corruptXref(HostileDocuments.generated(3));
    ValidationReport report = harness.process("pdf.validate", broken).ok().getValidation();
    assertThat(report.getValid()).isTrue();
    assertThat(report.getRepaired()).isTrue();
    assertThat(report.getRepairsList()).anySatisfy(r -> assertThat(r).contains("startxref"));
    assertThat(report.getPageCount()).isEqualTo(3);
    assertThat(harness.process("pdf.text", broken).ok().getText().getPagesCount()).isEqualTo(3);

    ValidationReport clean =
        harness.process("pdf.validate", HostileDocuments.generated(3)).ok().getValidation();
    assertThat(clean.getRepaired()).isFalse();
  }

  @Test
  void validateCanReportLimitsInsteadOfFailing() {
    ProcessRequest request =
        ProcessorHarness.request("pdf.validate", HostileDocuments.decompressionBomb(64L << 20))
            .putOptions("report_only", "true")
            .build();
    ValidationReport report = harness.process(request).ok().getValidation();
    assertThat(report.getValid()).isFalse();
    assertThat(report.getLimitViolationsList())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.getLimit()).isEqualTo("LIMIT_MEMORY");
              assertThat(v.getMaximum()).isEqualTo(16L << 20);
            });
  }

  @Test
  void unknownProcessorAndWrongMediaTypeAreRejected() {
    var unknown = harness.process("pdf.magic", HostileDocuments.generated(1));
    assertThat(unknown.error().getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(Errors.reason(unknown.error())).contains("UNKNOWN_PROCESSOR");

    var declared =
        harness.process(
            ProcessorHarness.request("pdf.text", "hello".getBytes(StandardCharsets.UTF_8))
                .setMediaType("application/pdf")
                .build());
    assertThat(Errors.reason(declared.error())).contains("NOT_A_PDF");
  }

  private static void assertServing() {
    HealthCheckResponse health =
        HealthGrpc.newBlockingStub(harness.channel).check(HealthCheckRequest.getDefaultInstance());
    assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  static void awaitNoProcessingThreadBusy() {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                Thread.getAllStackTraces().entrySet().stream()
                    .filter(e -> e.getKey().getName().startsWith("processor-work-"))
                    .noneMatch(
                        e ->
                            Stream.of(e.getValue())
                                .anyMatch(f -> f.getClassName().startsWith("org.apache.pdfbox."))));
  }
}
