package dev.docmesh.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.docmesh.docgen.DocumentGenerator;
import dev.docmesh.docgen.DocumentSpec;
import dev.docmesh.docgen.GeneratedDocument;
import dev.docmesh.docgen.GroundTruth;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.document.v1.DocumentMetadata;
import dev.docmesh.proto.document.v1.Element;
import dev.docmesh.proto.document.v1.ElementType;
import dev.docmesh.proto.document.v1.OutlineItem;
import dev.docmesh.proto.document.v1.Relationship;
import dev.docmesh.proto.document.v1.RelationshipType;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.document.v1.TableCell;
import dev.docmesh.proto.processor.v1.UpstreamOutput;
import io.grpc.Status;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Documents from the generator come out of pdf.structure, pdf.relationships and pdf.metadata as
 * generated.
 */
class GeneratedStructureTest {
  private static ProcessorHarness harness;
  private static final DocumentGenerator GENERATOR = new DocumentGenerator();

  @BeforeAll
  static void start() {
    harness = new ProcessorHarness();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    harness.close();
  }

  @Test
  void generatorMakesExactlyTheRequestedPagesWithEverythingTheTruthSays() {
    for (int pages : new int[] {1, 2, 7, 30}) {
      GeneratedDocument doc = GENERATOR.generate(new DocumentSpec("Report", pages, pages));
      assertThat(harness.process("pdf.validate", doc.pdf()).ok().getValidation().getPageCount())
          .isEqualTo(pages);
      GroundTruth truth = doc.truth();
      assertThat(truth.blocksOfType(ElementType.ELEMENT_TYPE_TITLE)).hasSize(1);
      assertThat(truth.blocks())
          .extracting(GroundTruth.Block::type)
          .contains(
              ElementType.ELEMENT_TYPE_HEADING,
              ElementType.ELEMENT_TYPE_PARAGRAPH,
              ElementType.ELEMENT_TYPE_LIST_ITEM,
              ElementType.ELEMENT_TYPE_CAPTION,
              ElementType.ELEMENT_TYPE_TABLE);
      assertThat(truth.blocksOfType(ElementType.ELEMENT_TYPE_HEADING))
          .extracting(GroundTruth.Block::headingLevel)
          .contains(1, 2);
      assertThat(truth.blocks().get(truth.blocks().size() - 1).page()).isEqualTo(pages);
    }
  }

  @ParameterizedTest(name = "{0} pages")
  @ValueSource(ints = {2, 6})
  void structureComesOutAsGenerated(int pages) {
    GeneratedDocument doc =
        GENERATOR.generate(new DocumentSpec("Annual Network Review", pages, 1000 + pages));
    List<Element> elements =
        harness.process("pdf.structure", doc.pdf()).ok().getElements().getElementsList();
    GroundTruth truth = doc.truth();

    List<Element> body = elements.stream().filter(e -> !running(e)).toList();
    assertThat(body)
        .extracting(
            Element::getType, Element::getText, Element::getPageNumber, Element::getHeadingLevel)
        .containsExactlyElementsOf(
            truth.blocks().stream()
                .map(b -> tuple(b.type(), b.text(), b.page(), b.headingLevel()))
                .toList());

    for (int page = 1; page <= pages; page++) {
      int p = page;
      assertThat(elements.stream().filter(e -> e.getPageNumber() == p && running(e)))
          .extracting(Element::getType, Element::getText)
          .containsExactly(
              tuple(ElementType.ELEMENT_TYPE_HEADER, truth.headerText()),
              tuple(ElementType.ELEMENT_TYPE_FOOTER, truth.footerText()),
              tuple(ElementType.ELEMENT_TYPE_PAGE_NUMBER, truth.pageNumberTexts().get(page - 1)));
    }

    Element table = only(elements, ElementType.ELEMENT_TYPE_TABLE);
    List<List<String>> rows = truth.blocksOfType(ElementType.ELEMENT_TYPE_TABLE).get(0).rows();
    assertThat(table.getTable().getRowCount()).isEqualTo(rows.size());
    assertThat(table.getTable().getColumnCount()).isEqualTo(rows.get(0).size());
    assertThat(table.getTable().getCellsList())
        .extracting(TableCell::getRow, TableCell::getColumn, TableCell::getText)
        .containsExactlyElementsOf(cells(rows));

    // Ids in reading order, boxes in points with the origin top-left: headers near the top, footers
    // near the bottom.
    for (int i = 0; i < elements.size(); i++) {
      assertThat(elements.get(i).getId()).isEqualTo("e" + (i + 1));
    }
    assertThat(elements)
        .allSatisfy(
            e -> {
              assertThat(e.getBbox().getX()).isBetween(0f, 612f);
              assertThat(e.getBbox().getY()).isBetween(0f, 792f);
              assertThat(e.getBbox().getWidth()).isPositive();
              assertThat(e.getBbox().getHeight()).isPositive();
              assertThat(e.getFontSize()).isPositive();
            });
    assertThat(elements.stream().filter(e -> e.getType() == ElementType.ELEMENT_TYPE_HEADER))
        .allSatisfy(e -> assertThat(e.getBbox().getY()).isLessThan(50));
    assertThat(elements.stream().filter(e -> e.getType() == ElementType.ELEMENT_TYPE_FOOTER))
        .allSatisfy(e -> assertThat(e.getBbox().getY()).isGreaterThan(740));
    Element title = only(elements, ElementType.ELEMENT_TYPE_TITLE);
    assertThat(title.getBold()).isTrue();
    assertThat(title.getFontSize()).isEqualTo(22f);

    // Each element's parent is the nearest heading above it of a higher level (or the title).
    Map<String, Element> byId =
        elements.stream().collect(Collectors.toMap(Element::getId, Function.identity()));
    Element section = title;
    Element chapter = null;
    for (Element e : body) {
      if (e == title) {
        continue;
      }
      if (e.getType() == ElementType.ELEMENT_TYPE_HEADING && e.getHeadingLevel() == 1) {
        assertThat(e.getParentId()).isEqualTo(title.getId());
        chapter = e;
        section = e;
      } else if (e.getType() == ElementType.ELEMENT_TYPE_HEADING) {
        assertThat(byId.get(e.getParentId())).isEqualTo(chapter);
        section = e;
      } else {
        assertThat(e.getParentId()).isEqualTo(section.getId());
      }
    }
  }

  @Test
  void relationshipsComeOutAsGenerated() {
    GeneratedDocument doc = GENERATOR.generate(new DocumentSpec("Operations Review", 4, 77));
    StageOutput structure = harness.process("pdf.structure", doc.pdf()).ok();
    List<Element> elements = structure.getElements().getElementsList();
    List<Relationship> relationships =
        harness
            .process(
                ProcessorHarness.request("pdf.relationships", doc.pdf())
                    .addUpstream(
                        UpstreamOutput.newBuilder()
                            .setStage("structure")
                            .setProcessor("pdf.structure")
                            .setOutput(structure))
                    .build())
            .ok()
            .getRelationships()
            .getRelationshipsList();
    Map<String, Element> byId =
        elements.stream().collect(Collectors.toMap(Element::getId, Function.identity()));
    List<Element> body = elements.stream().filter(e -> !running(e)).toList();

    assertThat(of(relationships, RelationshipType.RELATIONSHIP_TYPE_CONTAINS))
        .extracting(Relationship::getSourceId, Relationship::getTargetId)
        .containsExactlyElementsOf(
            body.stream()
                .filter(e -> !e.getParentId().isEmpty())
                .map(e -> tuple(e.getParentId(), e.getId()))
                .toList());
    assertThat(of(relationships, RelationshipType.RELATIONSHIP_TYPE_CONTAINS))
        .hasSize(body.size() - 1); // all but the title

    List<Relationship> next = of(relationships, RelationshipType.RELATIONSHIP_TYPE_NEXT);
    assertThat(next).hasSize(body.size() - 1);
    for (int i = 0; i < next.size(); i++) {
      assertThat(next.get(i).getSourceId()).isEqualTo(body.get(i).getId());
      assertThat(next.get(i).getTargetId()).isEqualTo(body.get(i + 1).getId());
    }

    Relationship caption = of(relationships, RelationshipType.RELATIONSHIP_TYPE_CAPTION_OF).get(0);
    assertThat(byId.get(caption.getSourceId()).getText())
        .isEqualTo("Table 1: Units and revenue by region");
    assertThat(byId.get(caption.getTargetId()).getType()).isEqualTo(ElementType.ELEMENT_TYPE_TABLE);

    List<Relationship> refers = of(relationships, RelationshipType.RELATIONSHIP_TYPE_REFERS_TO);
    List<Relationship> outline =
        refers.stream().filter(r -> r.getSourceId().startsWith("outline:")).toList();
    assertThat(outline)
        .extracting(Relationship::getLabel, Relationship::getTargetPage)
        .containsExactlyElementsOf(
            doc.truth().outline().stream().map(o -> tuple(o.title(), o.page())).toList());
    assertThat(outline)
        .allSatisfy(
            r -> {
              Element heading = byId.get(r.getTargetId());
              assertThat(heading.getType()).isEqualTo(ElementType.ELEMENT_TYPE_HEADING);
              assertThat(heading.getText()).isEqualTo(r.getLabel());
              assertThat(heading.getPageNumber()).isEqualTo(r.getTargetPage());
            });
    GroundTruth.Link link = doc.truth().links().get(0);
    assertThat(refers.stream().filter(r -> r.getSourceId().startsWith("link:")))
        .extracting(Relationship::getSourceId, Relationship::getTargetPage, Relationship::getLabel)
        .containsExactly(tuple("link:1", link.targetPage(), link.label()));
    assertThat(relationships)
        .extracting(Relationship::getId)
        .doesNotHaveDuplicates()
        .allMatch(id -> id.matches("r\\d+"));
  }

  @Test
  void relationshipsWithoutTheStructureFailAsMissingUpstream() {
    var outcome =
        harness.process("pdf.relationships", GENERATOR.generate(DocumentSpec.of(1)).pdf());
    assertThat(outcome.error().getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(Errors.reason(outcome.error())).contains("MISSING_UPSTREAM");
  }

  @Test
  void metadataOfAGeneratedDocumentIsTheGeneratedInfoAndOutline() {
    GeneratedDocument doc = GENERATOR.generate(new DocumentSpec("Fleet Status", 3, 5));
    DocumentMetadata meta = harness.process("pdf.metadata", doc.pdf()).ok().getMetadata();
    GroundTruth.Info info = doc.truth().info();
    assertThat(meta.getTitle()).isEqualTo(info.title());
    assertThat(meta.getAuthor()).isEqualTo(info.author());
    assertThat(meta.getSubject()).isEqualTo(info.subject());
    assertThat(meta.getKeywords()).isEqualTo(info.keywords());
    assertThat(meta.getCreator()).isEqualTo(info.creator());
    assertThat(meta.getProducer()).isEqualTo(info.producer());
    assertThat(Instant.ofEpochSecond(meta.getCreationTime().getSeconds()))
        .isEqualTo(info.created().toInstant());
    assertThat(meta.getCreationTimeOffset()).isEqualTo("+02'00'");
    assertThat(meta.getPageCount()).isEqualTo(3);
    assertThat(meta.getAnnotationCountsMap()).isEqualTo(Map.of("Link", 1));
    assertThat(meta.getFontsList())
        .extracting(f -> f.getName())
        .contains("Helvetica", "Helvetica-Bold", "Helvetica-Oblique");
    assertThat(meta.getOutlineList())
        .extracting(OutlineItem::getTitle, OutlineItem::getLevel, OutlineItem::getPageNumber)
        .containsExactlyElementsOf(
            doc.truth().outline().stream()
                .map(o -> tuple(o.title(), o.level(), o.page()))
                .toList());
  }

  private static List<org.assertj.core.groups.Tuple> cells(List<List<String>> rows) {
    List<org.assertj.core.groups.Tuple> cells = new java.util.ArrayList<>();
    for (int r = 0; r < rows.size(); r++) {
      for (int c = 0; c < rows.get(r).size(); c++) {
        cells.add(tuple(r, c, rows.get(r).get(c)));
      }
    }
    return cells;
  }

  private static List<Relationship> of(List<Relationship> all, RelationshipType type) {
    return all.stream().filter(r -> r.getType() == type).toList();
  }

  private static Element only(List<Element> elements, ElementType type) {
    List<Element> found = elements.stream().filter(e -> e.getType() == type).toList();
    assertThat(found).hasSize(1);
    return found.get(0);
  }

  private static boolean running(Element e) {
    return e.getType() == ElementType.ELEMENT_TYPE_HEADER
        || e.getType() == ElementType.ELEMENT_TYPE_FOOTER
        || e.getType() == ElementType.ELEMENT_TYPE_PAGE_NUMBER;
  }
}
