package dev.docmesh.docgen;

import dev.docmesh.docgen.GroundTruth.Block;
import dev.docmesh.docgen.GroundTruth.Info;
import dev.docmesh.docgen.GroundTruth.Link;
import dev.docmesh.docgen.GroundTruth.OutlineEntry;
import dev.docmesh.proto.document.v1.ElementType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.GregorianCalendar;
import java.util.List;
import java.util.Random;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDFont;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.interactive.action.PDActionGoTo;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotationLink;
import org.apache.pdfbox.pdmodel.interactive.documentnavigation.destination.PDPageFitDestination;
import org.apache.pdfbox.pdmodel.interactive.documentnavigation.destination.PDPageXYZDestination;
import org.apache.pdfbox.pdmodel.interactive.documentnavigation.outline.PDDocumentOutline;
import org.apache.pdfbox.pdmodel.interactive.documentnavigation.outline.PDOutlineItem;

/**
 * Makes realistic PDFs with known ground truth: a title, numbered chapters and sections (two
 * heading levels), paragraphs, a bulleted list, a captioned table, a running header and footer with
 * page numbers, an outline, an internal link and Info metadata, on exactly the requested number of
 * pages. Used by the processor tests, the CLI demo and load tests.
 *
 * <p>Longer than most classes on purpose: the page layout (what goes where, and when a page breaks)
 * and the ground truth it records are one algorithm; split across classes the two would drift
 * apart, and the tests that compare processors against the truth would lie.
 */
public final class DocumentGenerator {
  static final PDRectangle PAGE = PDRectangle.LETTER;
  static final float LEFT = 72;
  static final float RIGHT = PAGE.getWidth() - 72;
  static final float BODY_TOP = 84;
  static final float BODY_BOTTOM = PAGE.getHeight() - 84;
  static final float HEADER_BASELINE = 40;
  static final float FOOTER_BASELINE = PAGE.getHeight() - 36;

  static final float TITLE_SIZE = 22;
  static final float H1_SIZE = 16;
  static final float H2_SIZE = 13;
  static final float BODY_SIZE = 11;
  static final float BODY_LEADING = 14;
  static final float CAPTION_SIZE = 10;
  static final float TABLE_SIZE = 10;
  static final float TABLE_ROW = 18;
  static final float RUNNING_SIZE = 9;
  static final float BULLET_X = LEFT + 8;
  static final float ITEM_X = LEFT + 20;
  static final String BULLET = "\u2022";

  private static final PDFont REGULAR = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
  private static final PDFont BOLD = new PDType1Font(Standard14Fonts.FontName.HELVETICA_BOLD);
  private static final PDFont ITALIC = new PDType1Font(Standard14Fonts.FontName.HELVETICA_OBLIQUE);

  private static final String[] WORDS = {
    "system",
    "data",
    "report",
    "quarter",
    "growth",
    "network",
    "service",
    "process",
    "review",
    "market",
    "customer",
    "supply",
    "result",
    "measure",
    "change",
    "plan",
    "team",
    "region",
    "product",
    "value",
    "risk",
    "cost",
    "demand",
    "capacity",
    "quality",
    "project",
    "policy",
    "budget",
    "forecast",
    "trend",
    "the",
    "of",
    "and",
    "to",
    "in",
    "for",
    "with",
    "on",
    "by",
    "from",
    "steady",
    "strong",
    "new",
    "key",
    "annual",
    "regional",
    "overall",
    "early",
    "further",
    "clear",
    "shows",
    "improves",
    "supports",
    "reduces",
    "remains",
    "reaches",
    "follows",
    "expects",
    "delivers",
    "requires"
  };
  private static final String[] TOPICS = {
    "Methods",
    "Operations",
    "Logistics",
    "Finance",
    "Outlook",
    "Risks",
    "Staffing",
    "Quality",
    "Customers",
    "Suppliers",
    "Infrastructure",
    "Security"
  };
  private static final String[] REGIONS = {"North", "South", "East", "West"};

  /** Generates the document {@code spec} describes. */
  public GeneratedDocument generate(DocumentSpec spec) {
    try {
      return new Layout(spec).run();
    } catch (IOException e) {
      throw new UncheckedIOException("generating a PDF in memory failed", e);
    }
  }

  /** One document being laid out, page by page, top to bottom. */
  private static final class Layout {
    private final DocumentSpec spec;
    private final Random random;
    private final PDDocument document = new PDDocument();
    private final List<Block> blocks = new ArrayList<>();
    private final List<OutlineEntry> outline = new ArrayList<>();
    private final List<PDOutlineItem> outlineItems = new ArrayList<>();
    private PDPageContentStream content;
    private PDPage page;
    private int pageNumber;
    private float y;
    private int chapter;
    private int section;
    private int topic;
    private int resultsPage;
    private float[] linkBox;
    private int linkPage;
    private String linkText;
    private boolean openingPlaced;

    Layout(DocumentSpec spec) {
      this.spec = spec;
      this.random = new Random(spec.seed());
    }

    GeneratedDocument run() throws IOException {
      try (document) {
        newPage();
        place(List.of(title(spec.title())));
        placeChapter("Introduction", shortParagraph());
        linkText = "See section 2 Results for the figures by region.";
        place(List.of(paragraph(linkText, true)));
        placeSection("Scope", shortParagraph());
        for (int i = 0; i < 3; i++) {
          place(List.of(listItem(sentence(5 + random.nextInt(5)))));
        }
        placeChapter("Results", shortParagraph());
        resultsPage = pageNumber;
        place(List.of(caption("Table 1: Units and revenue by region"), table()));
        placeSection("Discussion", paragraphText());
        openingPlaced = true;
        while (fill()) {
          // keeps adding chapters until the last page is full
        }
        finishPage();
        addOutline();
        addLink();
        String header = spec.title() + " | docmesh";
        String footer = "Generated by docmesh";
        List<String> pageNumbers = new ArrayList<>();
        for (int n = 1; n <= spec.pageCount(); n++) {
          pageNumbers.add(pageNumberText(n));
        }
        Info info = writeInfo();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        document.save(out);
        return new GeneratedDocument(
            out.toByteArray(),
            new GroundTruth(
                info,
                spec.pageCount(),
                List.copyOf(blocks),
                header,
                footer,
                pageNumbers,
                List.copyOf(outline),
                links()));
      }
    }

    /** One more chapter (or part of one); false once the last page is full. */
    private boolean fill() throws IOException {
      if (!placeChapter(TOPICS[topic++ % TOPICS.length], paragraphText())) {
        return false;
      }
      for (int i = 0, n = 1 + random.nextInt(2); i < n; i++) {
        if (!place(List.of(paragraph(paragraphText(), false)))) {
          return false;
        }
      }
      if (!placeSection(TOPICS[topic++ % TOPICS.length], paragraphText())) {
        return false;
      }
      return place(List.of(paragraph(paragraphText(), false)));
    }

    private boolean placeChapter(String name, String firstParagraph) throws IOException {
      chapter++;
      section = 0;
      return placeHeading(chapter + " " + name, 1, firstParagraph);
    }

    private boolean placeSection(String name, String firstParagraph) throws IOException {
      section++;
      return placeHeading(chapter + "." + section + " " + name, 2, firstParagraph);
    }

    /** A heading is kept with its first paragraph: both fit or both move on. */
    private boolean placeHeading(String text, int level, String firstParagraph) throws IOException {
      Piece heading = heading(text, level);
      if (!place(List.of(heading, paragraph(firstParagraph, false)))) {
        return false;
      }
      outline.add(new OutlineEntry(text, level, heading.placedPage));
      PDOutlineItem item = new PDOutlineItem();
      item.setTitle(text);
      PDPageXYZDestination destination = new PDPageXYZDestination();
      destination.setPage(heading.placedOn);
      destination.setTop((int) (PAGE.getHeight() - heading.placedTop));
      item.setDestination(destination);
      if (level == 1) {
        outlineItems.add(item);
      } else {
        outlineItems.get(outlineItems.size() - 1).addLast(item);
      }
      return true;
    }

    /** Places pieces together on this page or the next; false when they fit on no page left. */
    private boolean place(List<Piece> pieces) throws IOException {
      float height = 0;
      for (Piece p : pieces) {
        height += p.height();
      }
      if (y + height > BODY_BOTTOM) {
        if (pageNumber == spec.pageCount()) {
          if (!openingPlaced) {
            throw new IllegalStateException(
                "the fixed opening does not fit on " + spec.pageCount() + " page(s)");
          }
          return false;
        }
        finishPage();
        newPage();
      }
      for (Piece p : pieces) {
        p.draw();
      }
      return true;
    }

    private void newPage() throws IOException {
      page = new PDPage(PAGE);
      document.addPage(page);
      pageNumber++;
      content = new PDPageContentStream(document, page);
      y = BODY_TOP;
      text(REGULAR, RUNNING_SIZE, LEFT, HEADER_BASELINE, spec.title() + " | docmesh");
      text(REGULAR, RUNNING_SIZE, LEFT, FOOTER_BASELINE, "Generated by docmesh");
      String number = pageNumberText(pageNumber);
      text(
          REGULAR,
          RUNNING_SIZE,
          RIGHT - width(REGULAR, RUNNING_SIZE, number),
          FOOTER_BASELINE,
          number);
    }

    private String pageNumberText(int n) {
      return "Page " + n + " of " + spec.pageCount();
    }

    private void finishPage() throws IOException {
      content.close();
      content = null;
    }

    // ---- pieces: each knows its height and how to draw itself at y ----

    private abstract class Piece {
      int placedPage;
      PDPage placedOn;
      float placedTop;

      abstract float height();

      void draw() throws IOException {
        placedPage = pageNumber;
        placedOn = page;
        placedTop = y;
        drawAt();
      }

      abstract void drawAt() throws IOException;
    }

    /** Lines of text in one font: a title, heading, paragraph, list item or caption. */
    private final class TextPiece extends Piece {
      final ElementType type;
      final String text;
      final PDFont font;
      final float size;
      final float leading;
      final float x;
      final float before;
      final float after;
      final int level;
      final boolean recordsLink;
      final List<String> lines;

      TextPiece(
          ElementType type,
          String text,
          PDFont font,
          float size,
          float leading,
          float x,
          float before,
          float after,
          int level,
          boolean recordsLink) {
        this.type = type;
        this.text = text;
        this.font = font;
        this.size = size;
        this.leading = leading;
        this.x = x;
        this.before = before;
        this.after = after;
        this.level = level;
        this.recordsLink = recordsLink;
        this.lines = wrap(text, font, size, RIGHT - x);
      }

      @Override
      float height() {
        return before + size + (lines.size() - 1) * leading + (leading - size) + after;
      }

      @Override
      void drawAt() throws IOException {
        float baseline = y + before + size;
        if (type == ElementType.ELEMENT_TYPE_LIST_ITEM) {
          text(font, size, BULLET_X, baseline, BULLET);
        }
        for (int i = 0; i < lines.size(); i++) {
          text(font, size, x, baseline + i * leading, lines.get(i));
        }
        if (recordsLink) {
          linkPage = pageNumber;
          linkBox =
              new float[] {x, baseline - size, x + width(font, size, lines.get(0)), baseline + 3};
        }
        blocks.add(new Block(type, String.join(" ", lines), pageNumber, level, null));
        y += height();
      }
    }

    private final class TablePiece extends Piece {
      final List<List<String>> rows;
      final float[] columns = {LEFT, LEFT + 156, LEFT + 312, RIGHT};

      TablePiece(List<List<String>> rows) {
        this.rows = rows;
      }

      @Override
      float height() {
        return rows.size() * TABLE_ROW + 12;
      }

      @Override
      void drawAt() throws IOException {
        float top = y + 2;
        for (int r = 0; r < rows.size(); r++) {
          float baseline = top + r * TABLE_ROW + 13;
          for (int c = 0; c < rows.get(r).size(); c++) {
            text(r == 0 ? BOLD : REGULAR, TABLE_SIZE, columns[c] + 4, baseline, rows.get(r).get(c));
          }
        }
        content.setLineWidth(0.5f);
        float bottom = top + rows.size() * TABLE_ROW;
        for (int r = 0; r <= rows.size(); r++) {
          line(columns[0], top + r * TABLE_ROW, columns[columns.length - 1], top + r * TABLE_ROW);
        }
        for (float column : columns) {
          line(column, top, column, bottom);
        }
        List<String> joined = rows.stream().map(row -> String.join("\t", row)).toList();
        blocks.add(
            new Block(
                ElementType.ELEMENT_TYPE_TABLE, String.join("\n", joined), pageNumber, 0, rows));
        y += height();
      }
    }

    private Piece title(String text) {
      return new TextPiece(
          ElementType.ELEMENT_TYPE_TITLE,
          text,
          BOLD,
          TITLE_SIZE,
          TITLE_SIZE * 1.2f,
          LEFT,
          0,
          14,
          0,
          false);
    }

    private Piece heading(String text, int level) {
      float size = level == 1 ? H1_SIZE : H2_SIZE;
      return new TextPiece(
          ElementType.ELEMENT_TYPE_HEADING,
          text,
          BOLD,
          size,
          size * 1.2f,
          LEFT,
          level == 1 ? 10 : 6,
          5,
          level,
          false);
    }

    private Piece paragraph(String text, boolean link) {
      return new TextPiece(
          ElementType.ELEMENT_TYPE_PARAGRAPH,
          text,
          REGULAR,
          BODY_SIZE,
          BODY_LEADING,
          LEFT,
          0,
          8,
          0,
          link);
    }

    private Piece listItem(String text) {
      return new TextPiece(
          ElementType.ELEMENT_TYPE_LIST_ITEM,
          text,
          REGULAR,
          BODY_SIZE,
          BODY_LEADING,
          ITEM_X,
          0,
          4,
          0,
          false);
    }

    private Piece caption(String text) {
      return new TextPiece(
          ElementType.ELEMENT_TYPE_CAPTION,
          text,
          ITALIC,
          CAPTION_SIZE,
          CAPTION_SIZE * 1.2f,
          LEFT,
          4,
          2,
          0,
          false);
    }

    private Piece table() {
      List<List<String>> rows = new ArrayList<>();
      rows.add(List.of("Region", "Units", "Revenue"));
      for (String region : REGIONS) {
        int units = 100 + random.nextInt(900);
        rows.add(
            List.of(region, Integer.toString(units), (units * (20 + random.nextInt(30))) + " EUR"));
      }
      return new TablePiece(rows);
    }

    // ---- words ----

    private String sentence(int words) {
      StringBuilder s = new StringBuilder();
      for (int i = 0; i < words; i++) {
        String w = WORDS[random.nextInt(WORDS.length)];
        s.append(i == 0 ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : " " + w);
      }
      return s.append('.').toString();
    }

    private String shortParagraph() {
      return sentence(8 + random.nextInt(6)) + " " + sentence(8 + random.nextInt(6));
    }

    private String paragraphText() {
      StringBuilder p = new StringBuilder(sentence(8 + random.nextInt(8)));
      for (int i = 0, n = 2 + random.nextInt(3); i < n; i++) {
        p.append(' ').append(sentence(8 + random.nextInt(8)));
      }
      return p.toString();
    }

    // ---- drawing ----

    private void text(PDFont font, float size, float x, float topBaseline, String s)
        throws IOException {
      content.beginText();
      content.setFont(font, size);
      content.newLineAtOffset(x, PAGE.getHeight() - topBaseline);
      content.showText(s);
      content.endText();
    }

    private void line(float x1, float y1, float x2, float y2) throws IOException {
      content.moveTo(x1, PAGE.getHeight() - y1);
      content.lineTo(x2, PAGE.getHeight() - y2);
      content.stroke();
    }

    // ---- document parts ----

    private void addOutline() {
      PDDocumentOutline root = new PDDocumentOutline();
      outlineItems.forEach(root::addLast);
      document.getDocumentCatalog().setDocumentOutline(root);
    }

    private void addLink() throws IOException {
      PDAnnotationLink link = new PDAnnotationLink();
      float h = PAGE.getHeight();
      link.setRectangle(
          new PDRectangle(
              linkBox[0], h - linkBox[3], linkBox[2] - linkBox[0], linkBox[3] - linkBox[1]));
      PDPageFitDestination destination = new PDPageFitDestination();
      destination.setPage(document.getPage(resultsPage - 1));
      PDActionGoTo action = new PDActionGoTo();
      action.setDestination(destination);
      link.setAction(action);
      document.getPage(linkPage - 1).getAnnotations().add(link);
    }

    private List<Link> links() {
      return List.of(new Link(linkPage, linkText, resultsPage));
    }

    private Info writeInfo() {
      OffsetDateTime created =
          OffsetDateTime.of(2026, 3, 1, 9, 30, 0, 0, ZoneOffset.ofHours(2))
              .plusMinutes(Math.floorMod(spec.seed(), 100_000));
      Info info =
          new Info(
              spec.title(),
              "docmesh generator",
              "Generated test document",
              "docmesh, test, seed " + spec.seed(),
              "docmesh DocumentGenerator",
              "docmesh DocumentGenerator (Apache PDFBox)",
              created);
      PDDocumentInformation pdf = document.getDocumentInformation();
      pdf.setTitle(info.title());
      pdf.setAuthor(info.author());
      pdf.setSubject(info.subject());
      pdf.setKeywords(info.keywords());
      pdf.setCreator(info.creator());
      pdf.setProducer(info.producer());
      pdf.setCreationDate(GregorianCalendar.from(created.toZonedDateTime()));
      return info;
    }
  }

  static List<String> wrap(String text, PDFont font, float size, float width) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      String candidate = line.isEmpty() ? word : line + " " + word;
      if (!line.isEmpty() && width(font, size, candidate) > width) {
        lines.add(line.toString());
        line = new StringBuilder(word);
      } else {
        line = new StringBuilder(candidate);
      }
    }
    lines.add(line.toString());
    return lines;
  }

  static float width(PDFont font, float size, String s) {
    try {
      return font.getStringWidth(s) / 1000 * size;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
