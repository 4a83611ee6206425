package dev.docmesh.processor.pdf;

import dev.docmesh.processor.Failures;
import dev.docmesh.processor.spi.DocumentProcessor;
import dev.docmesh.processor.spi.ProcessingContext;
import dev.docmesh.proto.document.v1.Element;
import dev.docmesh.proto.document.v1.ElementType;
import dev.docmesh.proto.document.v1.OutlineItem;
import dev.docmesh.proto.document.v1.Relationship;
import dev.docmesh.proto.document.v1.RelationshipType;
import dev.docmesh.proto.document.v1.Relationships;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.interactive.action.PDAction;
import org.apache.pdfbox.pdmodel.interactive.action.PDActionGoTo;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotation;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotationLink;
import org.apache.pdfbox.pdmodel.interactive.documentnavigation.destination.PDDestination;
import org.apache.pdfbox.pdmodel.interactive.documentnavigation.destination.PDNamedDestination;
import org.apache.pdfbox.pdmodel.interactive.documentnavigation.destination.PDPageDestination;

/**
 * {@code pdf.relationships}: from the elements of {@code pdf.structure} (read from the request's
 * upstream outputs) and the document's outline and links: section CONTAINS element, reading-order
 * NEXT, caption CAPTION_OF table, outline entry or link REFERS_TO a page (and the heading there
 * that carries the outline entry's title).
 */
public final class RelationshipsProcessor implements DocumentProcessor {
  public static final String NAME = "pdf.relationships";

  @Override
  public ProcessorInfo info() {
    return PdfProcessorInfo.of(
        NAME,
        "Relates the elements of pdf.structure: sections contain elements, reading order, captions, outline and link targets.",
        "relationships",
        StructureProcessor.NAME);
  }

  @Override
  public StageOutput process(ProcessingContext context) throws Exception {
    StageOutput upstream =
        context
            .upstream(StructureProcessor.NAME)
            .filter(StageOutput::hasElements)
            .orElseThrow(() -> Failures.missingUpstream(NAME, StructureProcessor.NAME));
    List<Element> elements = upstream.getElements().getElementsList();
    Builder out = new Builder();
    contains(elements, out);
    readingOrder(elements, out);
    captions(elements, out);
    try (PDDocument document = context.openPdf()) {
      outline(document, elements, out);
      context.checkpoint();
      links(document, elements, context, out);
    }
    return StageOutput.newBuilder()
        .setRelationships(Relationships.newBuilder().addAllRelationships(out.list))
        .build();
  }

  private static void contains(List<Element> elements, Builder out) {
    for (Element e : elements) {
      if (!e.getParentId().isEmpty()) {
        out.add(RelationshipType.RELATIONSHIP_TYPE_CONTAINS, e.getParentId(), e.getId(), 0, "");
      }
    }
  }

  private static void readingOrder(List<Element> elements, Builder out) {
    Element previous = null;
    for (Element e : elements) {
      if (isRunning(e)) {
        continue;
      }
      if (previous != null) {
        out.add(RelationshipType.RELATIONSHIP_TYPE_NEXT, previous.getId(), e.getId(), 0, "");
      }
      previous = e;
    }
  }

  /** A caption belongs to the nearest table on its page, the one after it first. */
  private static void captions(List<Element> elements, Builder out) {
    List<Element> body = elements.stream().filter(e -> !isRunning(e)).toList();
    for (int i = 0; i < body.size(); i++) {
      Element caption = body.get(i);
      if (caption.getType() != ElementType.ELEMENT_TYPE_CAPTION) {
        continue;
      }
      int at = i;
      Optional<Element> target = tableNear(body, at, 1).or(() -> tableNear(body, at, -1));
      target.ifPresent(
          t ->
              out.add(
                  RelationshipType.RELATIONSHIP_TYPE_CAPTION_OF,
                  caption.getId(),
                  t.getId(),
                  0,
                  caption.getText()));
    }
  }

  private static Optional<Element> tableNear(List<Element> body, int from, int step) {
    int i = from + step;
    if (i < 0 || i >= body.size()) {
      return Optional.empty();
    }
    Element e = body.get(i);
    return e.getType() == ElementType.ELEMENT_TYPE_TABLE
            && e.getPageNumber() == body.get(from).getPageNumber()
        ? Optional.of(e)
        : Optional.empty();
  }

  private static void outline(PDDocument document, List<Element> elements, Builder out) {
    List<OutlineItem> items = Outline.read(document);
    for (int n = 0; n < items.size(); n++) {
      OutlineItem item = items.get(n);
      if (item.getPageNumber() == 0) {
        continue;
      }
      String target =
          headingOnPage(elements, item.getPageNumber(), item.getTitle())
              .map(Element::getId)
              .orElse("");
      out.add(
          RelationshipType.RELATIONSHIP_TYPE_REFERS_TO,
          "outline:" + (n + 1),
          target,
          item.getPageNumber(),
          item.getTitle());
    }
  }

  private static Optional<Element> headingOnPage(List<Element> elements, int page, String title) {
    String wanted = normalize(title);
    return elements.stream()
        .filter(e -> e.getPageNumber() == page)
        .filter(
            e ->
                e.getType() == ElementType.ELEMENT_TYPE_HEADING
                    || e.getType() == ElementType.ELEMENT_TYPE_TITLE)
        .filter(e -> !wanted.isEmpty() && normalize(e.getText()).equals(wanted))
        .findFirst();
  }

  private static void links(
      PDDocument document, List<Element> elements, ProcessingContext context, Builder out)
      throws IOException {
    int n = 0;
    int pageNumber = 0;
    for (PDPage page : document.getPages()) {
      pageNumber++;
      context.checkpoint();
      List<PDAnnotation> annotations;
      try {
        annotations = page.getAnnotations();
      } catch (IOException e) {
        continue;
      }
      for (PDAnnotation annotation : annotations) {
        if (!(annotation instanceof PDAnnotationLink link)) {
          continue;
        }
        int target = targetPage(document, link);
        if (target == 0) {
          continue; // external (URI) or dangling: not a relationship between parts of this document
        }
        n++;
        String label =
            elementUnder(elements, pageNumber, link.getRectangle(), page)
                .map(Element::getText)
                .orElse("");
        out.add(RelationshipType.RELATIONSHIP_TYPE_REFERS_TO, "link:" + n, "", target, label);
      }
    }
  }

  private static int targetPage(PDDocument document, PDAnnotationLink link) {
    try {
      PDDestination destination = link.getDestination();
      if (destination == null) {
        PDAction action = link.getAction();
        if (action instanceof PDActionGoTo goTo) {
          destination = goTo.getDestination();
        }
      }
      if (destination instanceof PDNamedDestination named) {
        destination = document.getDocumentCatalog().findNamedDestinationPage(named);
      }
      if (destination instanceof PDPageDestination pageDestination) {
        int index = pageDestination.retrievePageNumber();
        return index < 0 ? 0 : index + 1;
      }
    } catch (IOException | RuntimeException e) {
      // a broken destination is simply not followed
    }
    return 0;
  }

  /**
   * The element whose box holds the middle of the link's rectangle (converted to top-left origin).
   */
  private static Optional<Element> elementUnder(
      List<Element> elements, int page, PDRectangle rect, PDPage pdPage) {
    if (rect == null) {
      return Optional.empty();
    }
    PDRectangle crop = pdPage.getCropBox();
    float x = (rect.getLowerLeftX() + rect.getUpperRightX()) / 2 - crop.getLowerLeftX();
    float y = crop.getUpperRightY() - (rect.getLowerLeftY() + rect.getUpperRightY()) / 2;
    return elements.stream()
        .filter(e -> e.getPageNumber() == page)
        .filter(e -> x >= e.getBbox().getX() && x <= e.getBbox().getX() + e.getBbox().getWidth())
        .filter(
            e ->
                y >= e.getBbox().getY() - 2
                    && y <= e.getBbox().getY() + e.getBbox().getHeight() + 2)
        .findFirst();
  }

  private static boolean isRunning(Element e) {
    return switch (e.getType()) {
      case ELEMENT_TYPE_HEADER, ELEMENT_TYPE_FOOTER, ELEMENT_TYPE_PAGE_NUMBER -> true;
      default -> false;
    };
  }

  private static String normalize(String s) {
    return s.toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").strip();
  }

  private static final class Builder {
    final List<Relationship> list = new ArrayList<>();

    void add(RelationshipType type, String source, String target, int page, String label) {
      list.add(
          Relationship.newBuilder()
              .setId("r" + (list.size() + 1))
              .setType(type)
              .setSourceId(source)
              .setTargetId(target)
              .setTargetPage(page)
              .setLabel(label)
              .build());
    }
  }
}
