package dev.docmesh.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;

/** The PDFs the harness runs: every PDF of the corpus that opens without a password. */
record Corpus(List<Doc> docs) {
  record Doc(String name, byte[] bytes, int pages) {}

  /** Every usable PDF, or the {@code limit} smallest ones (smoke runs). */
  static Corpus load(Path dir, int limit) {
    List<Doc> docs = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p :
          files
              .filter(f -> f.toString().endsWith(".pdf"))
              .sorted(
                  java.util.Comparator.comparingLong((Path f) -> f.toFile().length())
                      .thenComparing(Path::toString))
              .toList()) {
        byte[] bytes = Files.readAllBytes(p);
        try (PDDocument d = Loader.loadPDF(bytes)) {
          docs.add(new Doc(p.getFileName().toString(), bytes, d.getNumberOfPages()));
        } catch (InvalidPasswordException encrypted) {
          // needs a password: not the same work on both sides of a ratio
        }
        if (docs.size() == limit) {
          break;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the corpus at " + dir, e);
    }
    if (docs.isEmpty()) {
      throw new IllegalStateException("no PDF in " + dir);
    }
    return new Corpus(List.copyOf(docs));
  }

  int pages() {
    return docs.stream().mapToInt(Doc::pages).sum();
  }

  long bytes() {
    return docs.stream().mapToLong(d -> d.bytes().length).sum();
  }
}
