package dev.docmesh.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.docgen.Corpus;
import dev.docmesh.meshkit.grpc.Errors;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Hundreds of damaged corpus files: each ends as a result or a typed failure, none crashes or
 * hangs.
 */
class MutatedCorpusTest {
  private static final int VARIANTS = 240;
  private static final Set<String> KNOWN_REASONS =
      Set.of(
          "PDF_CORRUPT",
          "NOT_A_PDF",
          "EMPTY_DOCUMENT",
          "PDF_ENCRYPTED",
          "PASSWORD_INVALID",
          "LIMIT_BYTES",
          "LIMIT_PAGES",
          "LIMIT_MEMORY",
          "LIMIT_NESTING",
          "LIMIT_TIME");
  private static final String[] PROCESSORS = {
    "pdf.validate", "pdf.metadata", "pdf.text", "pdf.structure"
  };

  record Variant(String description, byte[] content) {}

  @Test
  void mutatedVariantsNeverCrashOrHang() throws Exception {
    List<Variant> variants = variants(new Random(20261123));
    assertThat(variants).hasSizeGreaterThanOrEqualTo(200);
    int results = 0;
    List<String> failures = new ArrayList<>();
    Map<String, Integer> outcomes = new java.util.TreeMap<>();
    try (ProcessorHarness harness =
        new ProcessorHarness(Map.of("DOCMESH_PROCESSOR_TIMEOUT", "10s"))) {
      for (int i = 0; i < variants.size(); i++) {
        Variant v = variants.get(i);
        String processor = PROCESSORS[i % PROCESSORS.length];
        var outcome = harness.process(ProcessorHarness.request(processor, v.content()).build(), 30);
        if (outcome.error() == null) {
          results++;
          outcomes.merge("result", 1, Integer::sum);
          continue;
        }
        Status.Code code = outcome.error().getStatus().getCode();
        String reason = Errors.reason(outcome.error()).orElse("none");
        outcomes.merge(reason, 1, Integer::sum);
        if (!KNOWN_REASONS.contains(reason)
            || code == Status.Code.INTERNAL
            || code == Status.Code.UNKNOWN) {
          failures.add(
              processor
                  + " on "
                  + v.description()
                  + ": "
                  + outcome.error().getStatus()
                  + " reason "
                  + reason);
        }
      }
      LoggerFactory.getLogger(MutatedCorpusTest.class)
          .info("{} mutated variants: {}", variants.size(), outcomes);
      assertThat(failures).as("untyped failures").isEmpty();
      assertThat(
              HealthGrpc.newBlockingStub(harness.channel)
                  .check(HealthCheckRequest.getDefaultInstance())
                  .getStatus())
          .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
      HostileInputTest.awaitNoProcessingThreadBusy();
    }
    // PDFBox repairs much of this damage: a good share must still give results, or the mutations
    // test nothing useful.
    assertThat(results).isBetween(VARIANTS / 10, VARIANTS - VARIANTS / 10);
  }

  private static List<Variant> variants(Random random) {
    List<String> files =
        Corpus.files().stream()
            .filter(f -> !f.equals(Corpus.LARGE) && !f.equals(Corpus.ENCRYPTED))
            .toList();
    List<Variant> out = new ArrayList<>();
    for (int i = 0; i < VARIANTS; i++) {
      String file = files.get(i % files.size());
      byte[] original = Corpus.read(file);
      byte[] bytes;
      String what;
      switch (i % 4) {
        case 0 -> {
          int keep = 1 + random.nextInt(original.length - 1);
          bytes = Arrays.copyOf(original, keep);
          what = "truncated to " + keep;
        }
        case 1 -> {
          bytes = original.clone();
          int flips = 1 + random.nextInt(40);
          for (int f = 0; f < flips; f++) {
            bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
          }
          what = flips + " bit flips";
        }
        case 2 -> {
          bytes = original.clone();
          int at = random.nextInt(bytes.length);
          int len = Math.min(bytes.length - at, 1 + random.nextInt(512));
          for (int k = at; k < at + len; k++) {
            bytes[k] = (byte) random.nextInt(256);
          }
          what = len + " random bytes at " + at;
        }
        default -> {
          int at = random.nextInt(original.length);
          int len = Math.min(original.length - at, 1 + random.nextInt(4096));
          bytes = new byte[original.length - len];
          System.arraycopy(original, 0, bytes, 0, at);
          System.arraycopy(original, at + len, bytes, at, original.length - at - len);
          what = len + " bytes cut at " + at;
        }
      }
      out.add(new Variant(file + " " + what, bytes));
    }
    return out;
  }
}
