package dev.docmesh.docgen;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The shared corpus of real PDFs and their ground truth ({@code pdf/expected.json}): the directory
 * named by {@code DOCMESH_CORPUS_DIR}, else {@code ../shared/corpus} next to the repository root
 * (found from the working directory up). Nothing else: a test that cannot find its corpus fails and
 * says where it looked.
 */
public final class Corpus {
  public static final String DIR_VARIABLE = "DOCMESH_CORPUS_DIR";

  /** The corpus's password-protected PDF and its user password. */
  public static final String ENCRYPTED = "libreoffice-writer-password.pdf";

  public static final String ENCRYPTED_PASSWORD = "openpassword";

  /** The corpus's largest PDF. */
  public static final String LARGE = "GeoTopo-komprimiert.pdf";

  private static Path dir;

  private Corpus() {}

  /** The corpus directory (holding {@code pdf/}). */
  public static synchronized Path dir() {
    if (dir == null) {
      dir = locate(System.getenv(DIR_VARIABLE), Path.of(System.getProperty("user.dir")));
    }
    return dir;
  }

  static Path locate(String configured, Path workingDir) {
    if (configured != null && !configured.isBlank()) {
      Path given = Path.of(configured).toAbsolutePath().normalize();
      if (!Files.isDirectory(given.resolve("pdf"))) {
        throw new IllegalStateException(DIR_VARIABLE + "=" + configured + " has no pdf/ directory");
      }
      return given;
    }
    for (Path d = workingDir.toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("pom.xml")) && Files.isRegularFile(d.resolve("docmesh"))) {
        Path shared = d.resolveSibling("shared").resolve("corpus").normalize();
        if (Files.isDirectory(shared.resolve("pdf"))) {
          return shared;
        }
        throw new IllegalStateException(
            "no PDF corpus at "
                + shared
                + " (../shared/corpus from the repository root "
                + d
                + "): set "
                + DIR_VARIABLE
                + " to the corpus directory");
      }
    }
    throw new IllegalStateException(
        "no PDF corpus: "
            + workingDir
            + " is not inside the docmesh repository; set "
            + DIR_VARIABLE
            + " to the corpus directory");
  }

  public static Path pdfDir() {
    return dir().resolve("pdf");
  }

  public static byte[] read(String file) {
    try {
      return Files.readAllBytes(pdfDir().resolve(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every PDF of the corpus, sorted by name. */
  public static List<String> files() {
    try (Stream<Path> files = Files.list(pdfDir())) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".pdf"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The expected.json entries, one Struct per file. */
  public static List<Struct> expected() {
    try {
      Struct.Builder root = Struct.newBuilder();
      JsonFormat.parser().merge(Files.readString(pdfDir().resolve("expected.json")), root);
      return root.getFieldsOrThrow("files").getListValue().getValuesList().stream()
          .map(Value::getStructValue)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The expected.json entry of one file. */
  public static Struct expected(String file) {
    return expected().stream()
        .filter(s -> s.getFieldsOrThrow("file").getStringValue().equals(file))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no expected.json entry for " + file));
  }
}
