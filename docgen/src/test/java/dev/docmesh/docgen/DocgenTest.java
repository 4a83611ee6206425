package dev.docmesh.docgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the corpus is looked for (and what a test is told when it is not there), and what the
 * generator makes.
 */
class DocgenTest {
  @TempDir Path tmp;

  @Test
  void theVariableWinsAndMustNameACorpus() throws Exception {
    Path corpus = Files.createDirectories(tmp.resolve("elsewhere/pdf")).getParent();
    assertThat(Corpus.locate(corpus.toString(), tmp)).isEqualTo(corpus);
    assertThatThrownBy(() -> Corpus.locate(tmp.toString(), tmp))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(Corpus.DIR_VARIABLE)
        .hasMessageContaining("no pdf/ directory");
  }

  @Test
  void withoutTheVariableItIsSharedCorpusNextToTheRepositoryRoot() throws Exception {
    Path repo = Files.createDirectories(tmp.resolve("repo"));
    Files.writeString(repo.resolve("pom.xml"), "<project/>");
    Files.writeString(repo.resolve("docmesh"), "#!/bin/sh\n");
    Path module = Files.createDirectories(repo.resolve("processor-svc"));
    assertThatThrownBy(() -> Corpus.locate(null, module))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(tmp.resolve("shared/corpus").toString())
        .hasMessageContaining(Corpus.DIR_VARIABLE);

    Path corpus = Files.createDirectories(tmp.resolve("shared/corpus/pdf")).getParent();
    assertThat(Corpus.locate("", module)).isEqualTo(corpus);
  }

  @Test
  void outsideTheRepositoryItSaysWhatToSet() {
    assertThatThrownBy(() -> Corpus.locate(null, tmp))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not inside the docmesh repository")
        .hasMessageContaining(Corpus.DIR_VARIABLE);
  }

  @Test
  void theSameSpecGivesTheSameDocumentOnExactlyItsPages() throws Exception {
    DocumentSpec spec = new DocumentSpec("Field Notes", 3, 1);
    GeneratedDocument first = new DocumentGenerator().generate(spec);
    assertThat(new DocumentGenerator().generate(spec).truth()).isEqualTo(first.truth());
    try (PDDocument pdf = Loader.loadPDF(first.pdf())) {
      assertThat(pdf.getNumberOfPages()).isEqualTo(3);
      assertThat(pdf.getDocumentInformation().getTitle()).isEqualTo("Field Notes");
    }
  }
}
