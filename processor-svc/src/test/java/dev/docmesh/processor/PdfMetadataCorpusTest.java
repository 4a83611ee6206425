package dev.docmesh.processor;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.docmesh.docgen.Corpus;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.document.v1.DocumentMetadata;
import dev.docmesh.proto.document.v1.ValidationReport;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import io.grpc.Status;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** pdf.metadata and pdf.validate over every corpus file, over real gRPC, against expected.json. */
class PdfMetadataCorpusTest {
  @RegisterExtension static final ProcessorHarness harness = new ProcessorHarness();

  static List<Struct> expected() {
    return Corpus.expected();
  }

  @Test
  void expectationsCoverEveryCorpusFile() {
    assertThat(Corpus.expected().stream().map(e -> e.getFieldsOrThrow("file").getStringValue()))
        .containsExactlyInAnyOrderElementsOf(Corpus.files());
  }

  @ParameterizedTest(name = "{index}: {0}")
  @MethodSource("expected")
  void metadataMatchesExpected(Struct expected) {
    String file = expected.getFieldsOrThrow("file").getStringValue();
    DocumentMetadata meta = harness.process(requestFor(file, "pdf.metadata")).ok().getMetadata();

    assertThat(meta.getPageCount()).as("pages").isEqualTo((int) number(expected, "pages"));
    assertThat(meta.getEncrypted())
        .as("encrypted")
        .isEqualTo(expected.getFieldsOrThrow("encrypted").getBoolValue());
    assertThat(meta.getProducer()).as("producer").isEqualTo(stringOrEmpty(expected, "producer"));
    assertThat(meta.getHasAcroForm())
        .as("AcroForm")
        .isEqualTo(expected.getFieldsOrThrow("has_acro_form").getBoolValue());
    assertThat(meta.getAnnotationCountsMap()).as("annotations").isEqualTo(annotations(expected));
    assertThat(meta.getPagesCount()).isEqualTo(meta.getPageCount());

    String raw = stringOrEmpty(expected, "creation_date_raw");
    assertThat(meta.getCreationDateRaw()).as("raw creation date").isEqualTo(raw);
    if (raw.isEmpty()) {
      assertThat(meta.hasCreationTime()).isFalse();
    } else {
      // The instant shifted by the offset written in the file gives back the local time as written.
      LocalDateTime local = LocalDateTime.parse(stringOrEmpty(expected, "creation_local"));
      assertThat(raw).endsWith(meta.getCreationTimeOffset());
      Instant instant = Instant.ofEpochSecond(meta.getCreationTime().getSeconds());
      assertThat(LocalDateTime.ofInstant(instant, offsetOf(meta.getCreationTimeOffset())))
          .isEqualTo(local);
    }
  }

  @ParameterizedTest(name = "{index}: {0}")
  @MethodSource("expected")
  void validateReportsPagesAndEncryption(Struct expected) {
    String file = expected.getFieldsOrThrow("file").getStringValue();
    ValidationReport report =
        harness.process(requestFor(file, "pdf.validate")).ok().getValidation();
    assertThat(report.getValid()).isTrue();
    assertThat(report.getPageCount()).isEqualTo((int) number(expected, "pages"));
    assertThat(report.getEncrypted())
        .isEqualTo(expected.getFieldsOrThrow("encrypted").getBoolValue());
    assertThat(report.getPdfVersion()).matches("\\d\\.\\d");
    assertThat(report.getSizeBytes()).isEqualTo(Corpus.read(file).length);
  }

  @Test
  void encryptedFileFailsClearlyWithoutPassword() {
    for (String processor : List.of("pdf.metadata", "pdf.validate", "pdf.text")) {
      var outcome =
          harness.process(
              ProcessorHarness.request(processor, Corpus.read(Corpus.ENCRYPTED)).build());
      assertThat(outcome.error()).as(processor).isNotNull();
      assertThat(outcome.error().getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(Errors.reason(outcome.error())).contains("PDF_ENCRYPTED");
      assertThat(Errors.errorInfo(outcome.error()).orElseThrow().getDomain())
          .isEqualTo("docmesh.dev");
    }
  }

  @Test
  void encryptedFileWithWrongPasswordFailsAsPasswordInvalid() {
    var outcome =
        harness.process(
            ProcessorHarness.request("pdf.metadata", Corpus.read(Corpus.ENCRYPTED))
                .setPassword("nope")
                .build());
    assertThat(outcome.error().getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(Errors.reason(outcome.error())).contains("PASSWORD_INVALID");
  }

  @Test
  void validateReportsThatThePasswordWasNeededAndOpenedIt() {
    ValidationReport report =
        harness.process(requestFor(Corpus.ENCRYPTED, "pdf.validate")).ok().getValidation();
    assertThat(report.getEncrypted()).isTrue();
    assertThat(report.getPasswordRequired()).isTrue();
    assertThat(report.getPasswordOpened()).isTrue();

    ValidationReport without =
        harness
            .process(
                ProcessorHarness.request("pdf.validate", Corpus.read(Corpus.ENCRYPTED))
                    .putOptions("report_only", "true")
                    .build())
            .ok()
            .getValidation();
    assertThat(without.getValid()).isFalse();
    assertThat(without.getPasswordRequired()).isTrue();
    assertThat(without.getPasswordOpened()).isFalse();
  }

  @Test
  void metadataReadsFontsOutlineFormsAndPageGeometry() {
    DocumentMetadata forms =
        harness.process(requestFor("pdflatex-forms.pdf", "pdf.metadata")).ok().getMetadata();
    assertThat(forms.getFormFieldCount()).isEqualTo(3);
    assertThat(forms.getFontsList())
        .isNotEmpty()
        .allSatisfy(f -> assertThat(f.getType()).isNotBlank());

    DocumentMetadata outlined =
        harness
            .process(requestFor("mistitled_outlines_example.pdf", "pdf.metadata"))
            .ok()
            .getMetadata();
    assertThat(outlined.getOutlineList())
        .isNotEmpty()
        .allSatisfy(o -> assertThat(o.getPageNumber()).isBetween(1, 4));

    DocumentMetadata images =
        harness.process(requestFor("imagemagick-images.pdf", "pdf.metadata")).ok().getMetadata();
    assertThat(images.getImageCount()).isGreaterThanOrEqualTo(images.getPageCount());
    DocumentMetadata inline =
        harness.process(requestFor("inline-image.pdf", "pdf.metadata")).ok().getMetadata();
    assertThat(inline.getImageCount()).isEqualTo(1);

    DocumentMetadata minimal =
        harness.process(requestFor("minimal-document.pdf", "pdf.metadata")).ok().getMetadata();
    assertThat(minimal.getPages(0).getWidth()).isGreaterThan(500);
    assertThat(minimal.getPdfVersion()).matches("\\d\\.\\d");
  }

  static ProcessRequest requestFor(String file, String processor) {
    ProcessRequest.Builder request =
        ProcessorHarness.request(processor, Corpus.read(file)).setFilename(file);
    if (file.equals(Corpus.ENCRYPTED)) {
      request.setPassword(Corpus.ENCRYPTED_PASSWORD);
    }
    return request.build();
  }

  private static ZoneOffset offsetOf(String written) {
    var m = java.util.regex.Pattern.compile("([+-])(\\d{2})'(\\d{2})'?").matcher(written);
    if (!m.matches()) {
      return ZoneOffset.UTC; // none, or the malformed Z07'46': Z means UTC
    }
    int sign = m.group(1).equals("-") ? -1 : 1;
    return ZoneOffset.ofHoursMinutes(
        sign * Integer.parseInt(m.group(2)), sign * Integer.parseInt(m.group(3)));
  }

  private static double number(Struct s, String field) {
    return s.getFieldsOrThrow(field).getNumberValue();
  }

  private static String stringOrEmpty(Struct s, String field) {
    Value v = s.getFieldsOrThrow(field);
    return v.hasNullValue() ? "" : v.getStringValue();
  }

  private static Map<String, Integer> annotations(Struct s) {
    return s.getFieldsOrThrow("annotations").getStructValue().getFieldsMap().entrySet().stream()
        .collect(
            Collectors.toMap(
                Map.Entry::getKey,
                e -> (int) e.getValue().getNumberValue(),
                (a, b) -> a,
                TreeMap::new));
  }
}
