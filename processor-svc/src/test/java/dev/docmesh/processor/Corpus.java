package dev.docmesh.processor;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The shared PDF corpus and its ground truth (expected.json). */
final class Corpus {
  static final String ENCRYPTED = "libreoffice-writer-password.pdf";
  static final String ENCRYPTED_PASSWORD = "openpassword";
  static final String LARGE = "GeoTopo-komprimiert.pdf";

  private Corpus() {}

  static Path dir() {
    return Path.of(System.getProperty("docmesh.corpus", "/work/shared/corpus")).resolve("pdf");
  }

  static byte[] read(String file) {
    try {
      return Files.readAllBytes(dir().resolve(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every PDF in the corpus directory. */
  static List<String> files() {
    try (Stream<Path> files = Files.list(dir())) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".pdf")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The expected.json entries, one Struct per file. */
  static List<Struct> expected() {
    try {
      Struct.Builder root = Struct.newBuilder();
      JsonFormat.parser().merge(Files.readString(dir().resolve("expected.json")), root);
      return root.getFieldsOrThrow("files").getListValue().getValuesList().stream().map(Value::getStructValue).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
