package dev.docmesh.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.docgen.Corpus;
import dev.docmesh.proto.document.v1.DocumentMetadata;
import dev.docmesh.proto.document.v1.Element;
import dev.docmesh.proto.document.v1.ElementType;
import dev.docmesh.proto.document.v1.OutlineItem;
import dev.docmesh.proto.document.v1.PageInfo;
import dev.docmesh.proto.document.v1.Relationship;
import dev.docmesh.proto.document.v1.RelationshipType;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.UpstreamOutput;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * pdf.structure and pdf.relationships on real files: consistent output on every one, and known
 * facts on some.
 */
class CorpusStructureTest {
  @RegisterExtension static final ProcessorHarness harness = new ProcessorHarness();

  static List<String> files() {
    return Corpus.files();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void structureAndRelationshipsAreConsistent(String file) {
    DocumentMetadata meta =
        harness.process(PdfMetadataCorpusTest.requestFor(file, "pdf.metadata")).ok().getMetadata();
    StageOutput structure =
        harness.process(PdfMetadataCorpusTest.requestFor(file, "pdf.structure")).ok();
    List<Element> elements = structure.getElements().getElementsList();
    Map<String, Element> byId =
        elements.stream().collect(Collectors.toMap(Element::getId, Function.identity()));

    for (int i = 0; i < elements.size(); i++) {
      Element e = elements.get(i);
      assertThat(e.getId()).isEqualTo("e" + (i + 1));
      assertThat(e.getPageNumber()).isBetween(1, meta.getPageCount());
      PageInfo page = meta.getPages(e.getPageNumber() - 1);
      float longest = Math.max(page.getWidth(), page.getHeight()) + 1;
      assertThat(e.getBbox().getX()).isBetween(-1f, longest);
      assertThat(e.getBbox().getY()).isBetween(-1f, longest);
      if (!e.getParentId().isEmpty()) {
        Element parent = byId.get(e.getParentId());
        assertThat(parent.getType())
            .isIn(ElementType.ELEMENT_TYPE_TITLE, ElementType.ELEMENT_TYPE_HEADING);
        assertThat(Integer.parseInt(parent.getId().substring(1)))
            .as("a section opens before its content")
            .isLessThan(i + 1);
      }
      if (e.getType() == ElementType.ELEMENT_TYPE_TABLE) {
        assertThat(e.getTable().getCellsCount())
            .isEqualTo(e.getTable().getRowCount() * e.getTable().getColumnCount());
      }
    }
    assertThat(elements.stream().filter(e -> e.getType() == ElementType.ELEMENT_TYPE_TITLE))
        .hasSizeLessThanOrEqualTo(1);

    List<Relationship> relationships =
        harness
            .process(
                PdfMetadataCorpusTest.requestFor(file, "pdf.relationships").toBuilder()
                    .addUpstream(
                        UpstreamOutput.newBuilder()
                            .setStage("structure")
                            .setProcessor("pdf.structure")
                            .setOutput(structure))
                    .build())
            .ok()
            .getRelationships()
            .getRelationshipsList();
    Set<String> ids = byId.keySet();
    assertThat(relationships)
        .allSatisfy(
            r -> {
              assertThat(r.getType()).isNotEqualTo(RelationshipType.RELATIONSHIP_TYPE_UNSPECIFIED);
              if (r.getType() == RelationshipType.RELATIONSHIP_TYPE_REFERS_TO) {
                assertThat(r.getSourceId()).matches("(outline|link):\\d+");
                assertThat(r.getTargetPage()).isBetween(1, meta.getPageCount());
              } else {
                assertThat(ids).contains(r.getSourceId(), r.getTargetId());
              }
            });
    List<OutlineItem> targeted =
        meta.getOutlineList().stream().filter(o -> o.getPageNumber() > 0).toList();
    assertThat(relationships.stream().filter(r -> r.getSourceId().startsWith("outline:")))
        .extracting(Relationship::getLabel, Relationship::getTargetPage)
        .containsExactlyElementsOf(
            targeted.stream()
                .map(o -> org.assertj.core.groups.Tuple.tuple(o.getTitle(), o.getPageNumber()))
                .toList());
    assertThat(relationships.stream().filter(r -> r.getSourceId().startsWith("link:")).count())
        .isLessThanOrEqualTo(meta.getAnnotationCountsOrDefault("Link", 0));
  }

  @Test
  void chaptersSectionsRunningHeadersAndPageNumbersOfTheBook() {
    List<Element> elements =
        harness
            .process("pdf.structure", Corpus.read(Corpus.LARGE))
            .ok()
            .getElements()
            .getElementsList();
    Map<String, Element> byId =
        elements.stream().collect(Collectors.toMap(Element::getId, Function.identity()));
    Element chapter = heading(elements, "1 Topologische Grundbegriﬀe");
    Element section = heading(elements, "1.2 Metrische Räume");
    assertThat(chapter.getHeadingLevel()).isEqualTo(1);
    assertThat(section.getHeadingLevel()).isEqualTo(2);
    assertThat(byId.get(section.getParentId())).isEqualTo(chapter);

    // Page 11 of the file: the running header of section 1.2 and the printed page number 8, and no
    // "page numbers" from the subscripts of a formula near the top.
    assertThat(
            elements.stream()
                .filter(
                    e -> e.getPageNumber() == 11 && e.getType() == ElementType.ELEMENT_TYPE_HEADER))
        .extracting(Element::getText)
        .containsExactly("1.2. METRISCHE RÄUME");
    assertThat(
            elements.stream()
                .filter(
                    e ->
                        e.getPageNumber() == 11
                            && e.getType() == ElementType.ELEMENT_TYPE_PAGE_NUMBER))
        .extracting(Element::getText)
        .containsExactly("8");
    assertThat(
            elements.stream().filter(e -> e.getType() == ElementType.ELEMENT_TYPE_HEADER).count())
        .isGreaterThan(100);
  }

  private static Element heading(List<Element> elements, String text) {
    return elements.stream()
        .filter(e -> e.getType() == ElementType.ELEMENT_TYPE_HEADING && e.getText().equals(text))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no heading " + text));
  }

  @Test
  void pdfTexPageNumbersAndTableOfContentsLinksAreFound() {
    List<Element> elements =
        harness
            .process("pdf.structure", Corpus.read("pdflatex-4-pages.pdf"))
            .ok()
            .getElements()
            .getElementsList();
    assertThat(elements.stream().filter(e -> e.getType() == ElementType.ELEMENT_TYPE_PAGE_NUMBER))
        .extracting(Element::getText, Element::getPageNumber)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("1", 1),
                org.assertj.core.groups.Tuple.tuple("2", 2),
            org.assertj.core.groups.Tuple.tuple("3", 3),
                org.assertj.core.groups.Tuple.tuple("4", 4));

    byte[] toc = Corpus.read("mistitled_outlines_example.pdf");
    StageOutput structure = harness.process("pdf.structure", toc).ok();
    List<Relationship> relationships =
        harness
            .process(
                ProcessorHarness.request("pdf.relationships", toc)
                    .addUpstream(
                        UpstreamOutput.newBuilder()
                            .setProcessor("pdf.structure")
                            .setOutput(structure))
                    .build())
            .ok()
            .getRelationships()
            .getRelationshipsList();
    List<Relationship> links =
        relationships.stream().filter(r -> r.getSourceId().startsWith("link:")).toList();
    assertThat(links).hasSize(9).allSatisfy(l -> assertThat(l.getTargetPage()).isBetween(2, 4));
    assertThat(elements.stream().filter(e -> e.getType() == ElementType.ELEMENT_TYPE_HEADING))
        .isEmpty(); // 4 pages of plain text
  }
}
