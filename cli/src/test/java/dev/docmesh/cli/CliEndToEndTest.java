package dev.docmesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import dev.docmesh.docgen.Corpus;
import dev.docmesh.localmesh.LocalMesh;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI as a script would use it, through its own entry point, against a real local mesh (four
 * gRPC servers on ephemeral loopback ports, embedded store in a temp dir).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES) // a watch of a stuck job is interrupted and fails here
class CliEndToEndTest {
  private static final Path CORPUS = Corpus.pdfDir();
  private static final List<String> FILES =
      List.of(
          "minimal-document.pdf",
          "pdflatex-4-pages.pdf",
          "pdflatex-forms.pdf",
          "libre-office-link.pdf",
          "inline-image.pdf");

  @TempDir static Path data;
  static LocalMesh mesh;

  @BeforeAll
  static void startMesh() {
    mesh =
        LocalMesh.builder(data)
            .environment(Map.of("DOCMESH_SHUTDOWN_GRACE", "5s"))
            .ephemeralPorts(true)
            .start();
  }

  @AfterAll
  static void stopMesh() {
    if (mesh != null) {
      mesh.close();
    }
  }

  record Run(int code, String out, String err) {}

  static Run docmesh(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--target");
    all.add(mesh.orchestratorTarget());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Docmesh.run(
            all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void corpusPdfsThroughTheCliMatchExpectedJson() throws Exception {
    Map<String, Struct> expected = expected();
    List<String> args = new ArrayList<>(List.of("submit", "--json", "--label", "suite=cli"));
    FILES.forEach(f -> args.add(CORPUS.resolve(f).toString()));
    Run submitted = docmesh(args.toArray(String[]::new));
    assertThat(submitted.code()).as(submitted.err()).isZero();

    List<String> lines = submitted.out().lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines).hasSize(FILES.size());
    for (int i = 0; i < FILES.size(); i++) {
      Job.Builder job = Job.newBuilder();
      JsonFormat.parser().merge(lines.get(i), job);
      assertThat(job.getDocument().getFilename()).isEqualTo(FILES.get(i));

      Run watched = docmesh("watch", job.getId(), "--json");
      assertThat(watched.code()).as("watch %s: %s", FILES.get(i), watched.err()).isZero();
      assertThat(watched.out()).contains("JOB_STATE_SUCCEEDED");

      Run result = docmesh("result", job.getId(), "--json");
      assertThat(result.code()).as(result.err()).isZero();
      JobResult.Builder r = JobResult.newBuilder();
      JsonFormat.parser().merge(result.out(), r);
      Struct want = expected.get(FILES.get(i));
      var m = r.getMetadata();
      assertThat(m.getPageCount())
          .as(FILES.get(i))
          .isEqualTo((int) want.getFieldsOrThrow("pages").getNumberValue());
      assertThat(m.getEncrypted()).isEqualTo(want.getFieldsOrThrow("encrypted").getBoolValue());
      assertThat(m.getProducer()).isEqualTo(want.getFieldsOrThrow("producer").getStringValue());
      assertThat(m.getCreationDateRaw())
          .isEqualTo(want.getFieldsOrThrow("creation_date_raw").getStringValue());
      assertThat(m.getHasAcroForm())
          .isEqualTo(want.getFieldsOrThrow("has_acro_form").getBoolValue());
      Map<String, Integer> annotations = new HashMap<>();
      want.getFieldsOrThrow("annotations")
          .getStructValue()
          .getFieldsMap()
          .forEach((k, v) -> annotations.put(k, (int) v.getNumberValue()));
      assertThat(m.getAnnotationCountsMap()).isEqualTo(annotations);
      assertThat(r.getPagesCount()).isEqualTo(m.getPageCount());
    }

    Run listed = docmesh("list", "--label", "suite=cli", "--json");
    assertThat(listed.code()).isZero();
    assertThat(listed.out().lines().filter(l -> !l.isBlank())).hasSize(FILES.size());
  }

  @Test
  void aDocumentThatCannotBeProcessedExitsOne(@TempDir Path dir) throws Exception {
    Path notPdf = Files.writeString(dir.resolve("notes.pdf"), "this is not a PDF at all");
    Run r = docmesh("submit", notPdf.toString(), "--watch");
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.out()).contains("FAILED");
  }

  @Test
  void unknownJobIsOneClearLine() {
    Run r = docmesh("get", "job-01J00000000000000000000000");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip()).startsWith("docmesh: NOT_FOUND").doesNotContain("\n");
  }

  private static Map<String, Struct> expected() throws Exception {
    Struct.Builder root = Struct.newBuilder();
    JsonFormat.parser().merge(Files.readString(CORPUS.resolve("expected.json")), root);
    Map<String, Struct> byFile = new HashMap<>();
    for (Value v : root.getFieldsOrThrow("files").getListValue().getValuesList()) {
      byFile.put(v.getStructValue().getFieldsOrThrow("file").getStringValue(), v.getStructValue());
    }
    return byFile;
  }
}
