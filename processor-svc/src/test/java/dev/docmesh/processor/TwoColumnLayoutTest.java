package dev.docmesh.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.docmesh.proto.document.v1.Element;
import dev.docmesh.proto.document.v1.ElementType;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.Test;

/** A two-column page reads column by column, not across, and is not mistaken for a table. */
class TwoColumnLayoutTest {

  @Test
  void columnsAreReadOneAfterTheOther() throws Exception {
    List<String> left = new ArrayList<>();
    List<String> right = new ArrayList<>();
    for (int i = 1; i <= 12; i++) {
      left.add("left column line " + i + " of the first text, set in a column");
      right.add("right column line " + i + " of the second text, set beside it");
    }
    byte[] pdf = twoColumns("Columns Everywhere", left, right);
    try (ProcessorHarness harness = new ProcessorHarness()) {
      List<Element> elements =
          harness.process("pdf.structure", pdf).ok().getElements().getElementsList();
      assertThat(elements)
          .extracting(Element::getType, Element::getText)
          .containsExactly(
              tuple(ElementType.ELEMENT_TYPE_TITLE, "Columns Everywhere"),
              tuple(ElementType.ELEMENT_TYPE_PARAGRAPH, String.join(" ", left)),
              tuple(ElementType.ELEMENT_TYPE_PARAGRAPH, String.join(" ", right)));
    }
  }

  private static byte[] twoColumns(String title, List<String> left, List<String> right)
      throws Exception {
    try (PDDocument doc = new PDDocument()) {
      PDPage page = new PDPage(PDRectangle.LETTER);
      doc.addPage(page);
      PDType1Font regular = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
      PDType1Font bold = new PDType1Font(Standard14Fonts.FontName.HELVETICA_BOLD);
      try (PDPageContentStream content = new PDPageContentStream(doc, page)) {
        show(content, bold, 20, 60, 720, title);
        for (int i = 0; i < left.size(); i++) {
          show(content, regular, 10, 60, 680 - i * 13, left.get(i));
          show(content, regular, 10, 320, 680 - i * 13, right.get(i));
        }
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      doc.save(out);
      return out.toByteArray();
    }
  }

  private static void show(
      PDPageContentStream content, PDType1Font font, float size, float x, float y, String text)
      throws Exception {
    content.beginText();
    content.setFont(font, size);
    content.newLineAtOffset(x, y);
    content.showText(text);
    content.endText();
  }
}
