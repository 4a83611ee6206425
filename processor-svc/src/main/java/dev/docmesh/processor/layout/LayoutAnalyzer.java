package dev.docmesh.processor.layout;

import dev.docmesh.proto.document.v1.BoundingBox;
import dev.docmesh.proto.document.v1.Element;
import dev.docmesh.proto.document.v1.ElementType;
import dev.docmesh.proto.document.v1.Table;
import dev.docmesh.proto.document.v1.TableCell;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Turns the glyphs of every page into layout elements from font size, weight and position: running
 * headers, footers and page numbers (lines in the top or bottom tenth of the page that repeat
 * across pages), tables (consecutive lines whose wide-gap chunks line up in columns), then blocks
 * of lines classified as title, heading (level by font size), caption, list item or paragraph, each
 * with the section it belongs to.
 *
 * <p>About 400 lines on purpose: the passes share one set of thresholds and run in an order that
 * matters (running zones before tables before blocks); the helpers it can share live in {@link
 * Columns}, {@link TextLine} and {@link TextChunk}.
 */
public final class LayoutAnalyzer {
  private static final float RUNNING_ZONE = 0.1f;
  private static final Pattern PAGE_NUMBER =
      Pattern.compile(
          "(?i)^(page|seite|p\\.)?\\s*\\d+(\\s*(of|/|von)\\s*\\d+)?$|^[-\u2013]\\s*\\d+\\s*[-\u2013]$");
  private static final Pattern CAPTION =
      Pattern.compile("(?i)^(table|figure|fig\\.|tabelle|abbildung)\\s*\\d+[.:]?(\\s|$).*");
  private static final Pattern BULLET =
      Pattern.compile("^[\u2022\u25E6\u25AA\u2023\u2043\u25CF\u25CB\u25A0*\u2013-]\\s*");
  private static final Pattern NUMBERED = Pattern.compile("^(\\d{1,3}|[a-zA-Z])[.)]\\s+\\S.*");

  /** The glyphs of one page; {@code height} is the page's displayed height in points. */
  public record Page(int number, float width, float height, List<Glyph> glyphs) {}

  private LayoutAnalyzer() {}

  /** "Table 3: ...", "Figure 2. ...": the start of a caption. */
  public static boolean isCaption(String text) {
    return CAPTION.matcher(text).matches();
  }

  public static List<Element> analyze(List<Page> pages) {
    Map<Integer, List<TextLine>> linesByPage = new HashMap<>();
    for (Page page : pages) {
      linesByPage.put(page.number(), TextLine.build(page.glyphs()));
    }
    Map<String, Set<Integer>> runningPages = countRunning(pages, linesByPage);

    List<Draft> drafts = new ArrayList<>();
    Map<Integer, List<TextLine>> bodyByPage = new HashMap<>();
    for (Page page : pages) {
      List<TextLine> body = new ArrayList<>();
      List<TextLine> lines = linesByPage.get(page.number());
      for (int i = 0; i < lines.size(); i++) {
        TextLine line = lines.get(i);
        boolean edgeLine = i == 0 || i == lines.size() - 1;
        List<TextChunk> kept = new ArrayList<>();
        for (TextChunk chunk : line.chunks()) {
          ElementType running = runningType(page, chunk, edgeLine, runningPages, pages.size());
          if (running == null) {
            kept.add(chunk);
          } else {
            drafts.add(Draft.of(running, page.number(), List.of(chunk)));
          }
        }
        if (!kept.isEmpty()) {
          body.add(new TextLine(kept));
        }
      }
      bodyByPage.put(page.number(), body);
    }

    float bodySize = dominantSize(bodyByPage.values());
    List<Draft> blocks = new ArrayList<>();
    for (Page page : pages) {
      blocks.addAll(
          blocksOf(
              page.number(), Columns.readingOrder(bodyByPage.get(page.number()), page.width())));
    }
    classify(blocks, bodySize);
    drafts.addAll(blocks);
    drafts.sort(Comparator.comparingInt((Draft d) -> d.page).thenComparingDouble(d -> d.top));
    return toElements(drafts);
  }

  // ---- running headers, footers and page numbers ----

  private static String zone(Page page, TextChunk chunk) {
    if (chunk.top() < page.height() * RUNNING_ZONE) {
      return "top";
    }
    if (chunk.baseline() > page.height() * (1 - RUNNING_ZONE)) {
      return "bottom";
    }
    return null;
  }

  private static String key(String zone, String text) {
    return zone
        + ":"
        + text.toLowerCase(Locale.ROOT).replaceAll("\\d+", "#").replaceAll("\\s+", " ");
  }

  private static Map<String, Set<Integer>> countRunning(
      List<Page> pages, Map<Integer, List<TextLine>> lines) {
    Map<String, Set<Integer>> seen = new HashMap<>();
    for (Page page : pages) {
      for (TextLine line : lines.get(page.number())) {
        for (TextChunk chunk : line.chunks()) {
          String zone = zone(page, chunk);
          if (zone != null) {
            seen.computeIfAbsent(key(zone, chunk.text()), k -> new HashSet<>()).add(page.number());
          }
        }
      }
    }
    return seen;
  }

  /**
   * A page number is a number on the first or last line of its page, wherever that line is (pdfTeX
   * leaves deep margins); a number elsewhere, even near the edge, is more likely an axis label or
   * an index. Headers and footers are lines in the running zones that repeat with only their
   * numbers changed: on at least three pages (a book's running header changes by chapter), or on
   * half the pages of a short document.
   */
  private static ElementType runningType(
      Page page,
      TextChunk chunk,
      boolean edgeLine,
      Map<String, Set<Integer>> running,
      int pageCount) {
    if (edgeLine && PAGE_NUMBER.matcher(chunk.text()).matches()) {
      return ElementType.ELEMENT_TYPE_PAGE_NUMBER;
    }
    String zone = zone(page, chunk);
    if (zone == null || chunk.text().codePoints().filter(Character::isLetter).count() < 2) {
      return null; // bare numbers and symbols near the edge are formula or figure labels
    }
    int pages = running.getOrDefault(key(zone, chunk.text()), Set.of()).size();
    boolean repeated = pages >= 2 && (pages >= 3 || pages * 2 >= pageCount);
    if (!repeated) {
      return null;
    }
    return zone.equals("top") ? ElementType.ELEMENT_TYPE_HEADER : ElementType.ELEMENT_TYPE_FOOTER;
  }

  private static float dominantSize(Iterable<List<TextLine>> pages) {
    Map<Float, Integer> chars = new HashMap<>();
    for (List<TextLine> lines : pages) {
      for (TextLine line : lines) {
        for (TextChunk c : line.chunks()) {
          chars.merge(c.size(), c.text().length(), Integer::sum);
        }
      }
    }
    return chars.entrySet().stream()
        .max(Map.Entry.comparingByValue())
        .map(Map.Entry::getKey)
        .orElse(10f);
  }

  // ---- blocks and tables ----

  private static List<Draft> blocksOf(int page, List<TextLine> lines) {
    List<Draft> out = new ArrayList<>();
    List<TextLine> current = new ArrayList<>();
    int i = 0;
    while (i < lines.size()) {
      int tableEnd = tableRunEnd(lines, i);
      if (tableEnd - i >= 2) {
        flush(out, page, current);
        out.add(table(page, lines.subList(i, tableEnd)));
        i = tableEnd;
        continue;
      }
      TextLine line = lines.get(i);
      if (!current.isEmpty() && startsBlock(current, line)) {
        flush(out, page, current);
      }
      current.add(line);
      i++;
    }
    flush(out, page, current);
    return out;
  }

  /**
   * End (exclusive) of the run of lines from {@code start} whose chunks line up as table columns.
   */
  private static int tableRunEnd(List<TextLine> lines, int start) {
    int end = start;
    while (end < lines.size() && lines.get(end).chunks().size() >= 2) {
      if (end > start && !columnsAlign(lines.get(end - 1), lines.get(end))) {
        break;
      }
      end++;
    }
    return end;
  }

  private static boolean columnsAlign(TextLine above, TextLine below) {
    if (above.chunks().size() != below.chunks().size()) {
      return false;
    }
    if (below.baseline() - above.baseline() > 3.5f * Math.max(below.size(), 1f)) {
      return false;
    }
    for (int c = 0; c < above.chunks().size(); c++) {
      TextChunk a = above.chunks().get(c);
      TextChunk b = below.chunks().get(c);
      boolean overlap = a.x() <= b.right() && b.x() <= a.right();
      if (!overlap) {
        return false;
      }
    }
    return true;
  }

  private static boolean startsBlock(List<TextLine> block, TextLine line) {
    TextLine last = block.get(block.size() - 1);
    TextLine first = block.get(0);
    float size = Math.max(line.size(), 1f);
    if (Math.abs(line.size() - last.size()) > 0.6f || line.bold() != last.bold()) {
      return true;
    }
    float step = line.baseline() - last.baseline();
    if (step > 1.45f * size || step < 0) {
      return true;
    }
    String text = line.text();
    if (isListMarker(text) || isCaption(text)) {
      return true;
    }
    // a list item's continuation lines hang under its text, not under its bullet
    return isListMarker(first.text()) && line.x() < first.x() + 2;
  }

  private static void flush(List<Draft> out, int page, List<TextLine> lines) {
    if (lines.isEmpty()) {
      return;
    }
    List<TextChunk> chunks = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (TextLine line : lines) {
      chunks.addAll(line.chunks());
      text.append(text.length() == 0 ? "" : " ").append(line.text());
    }
    Draft d = Draft.of(ElementType.ELEMENT_TYPE_PARAGRAPH, page, chunks);
    d.text = text.toString();
    d.size = lines.get(0).size();
    d.bold = lines.get(0).bold();
    d.lines = lines.size();
    d.multiColumn = lines.stream().anyMatch(l -> l.chunks().size() > 1);
    out.add(d);
    lines.clear();
  }

  private static Draft table(int page, List<TextLine> rows) {
    List<TextChunk> chunks = new ArrayList<>();
    Table.Builder table =
        Table.newBuilder().setRowCount(rows.size()).setColumnCount(rows.get(0).chunks().size());
    List<String> rowTexts = new ArrayList<>();
    for (int r = 0; r < rows.size(); r++) {
      List<String> cells = new ArrayList<>();
      for (int c = 0; c < rows.get(r).chunks().size(); c++) {
        TextChunk cell = rows.get(r).chunks().get(c);
        chunks.add(cell);
        cells.add(cell.text());
        table.addCells(TableCell.newBuilder().setRow(r).setColumn(c).setText(cell.text()));
      }
      rowTexts.add(String.join("\t", cells));
    }
    Draft d = Draft.of(ElementType.ELEMENT_TYPE_TABLE, page, chunks);
    d.text = String.join("\n", rowTexts);
    d.size = rows.get(rows.size() - 1).size();
    d.bold = false;
    d.table = table.build();
    return d;
  }

  // ---- classification ----

  private static boolean isListMarker(String text) {
    return BULLET.matcher(text).lookingAt() && text.length() > 1
        || NUMBERED.matcher(text).matches();
  }

  private static void classify(List<Draft> blocks, float body) {
    float largest = 0;
    for (Draft d : blocks) {
      if (d.type == ElementType.ELEMENT_TYPE_PARAGRAPH) {
        largest = Math.max(largest, d.size);
      }
    }
    boolean titled = false;
    for (Draft d : blocks) {
      if (d.type != ElementType.ELEMENT_TYPE_PARAGRAPH) {
        continue;
      }
      boolean bodySized = d.size <= body + 1f;
      if (!titled && d.page == 1 && d.size >= 1.3f * body && d.size >= largest) {
        d.type = ElementType.ELEMENT_TYPE_TITLE;
        titled = true;
      } else if (bodySized && isCaption(d.text) && d.lines <= 3) {
        d.type = ElementType.ELEMENT_TYPE_CAPTION;
      } else if (!d.multiColumn
          && (d.size >= 1.12f * body
              || d.bold
                  && d.size >= body - 0.5f
                  && d.lines <= 2
                  && d.text.length() <= 120
                  && !d.text.endsWith("."))) {
        d.type = ElementType.ELEMENT_TYPE_HEADING;
      } else if (bodySized && isListMarker(d.text)) {
        d.type = ElementType.ELEMENT_TYPE_LIST_ITEM;
        d.text = BULLET.matcher(d.text).replaceFirst("");
      }
    }
    TreeSet<Float> headingSizes = new TreeSet<>(Comparator.reverseOrder());
    for (Draft d : blocks) {
      if (d.type == ElementType.ELEMENT_TYPE_HEADING) {
        headingSizes.add(d.size);
      }
    }
    List<Float> levels = new ArrayList<>(headingSizes);
    for (Draft d : blocks) {
      if (d.type == ElementType.ELEMENT_TYPE_HEADING) {
        d.level = Math.min(6, levels.indexOf(d.size) + 1);
      }
    }
  }

  // ---- output ----

  private static List<Element> toElements(List<Draft> drafts) {
    List<Element> elements = new ArrayList<>();
    Deque<Draft> sections = new ArrayDeque<>();
    int n = 0;
    for (Draft d : drafts) {
      d.id = "e" + (++n);
      String parent = "";
      if (!d.isRunning()) {
        if (d.type == ElementType.ELEMENT_TYPE_TITLE
            || d.type == ElementType.ELEMENT_TYPE_HEADING) {
          int level = d.type == ElementType.ELEMENT_TYPE_TITLE ? 0 : d.level;
          while (!sections.isEmpty() && sectionLevel(sections.peek()) >= level) {
            sections.pop();
          }
          parent = sections.isEmpty() ? "" : sections.peek().id;
          sections.push(d);
        } else if (!sections.isEmpty()) {
          parent = sections.peek().id;
        }
      }
      Element.Builder e =
          Element.newBuilder()
              .setId(d.id)
              .setType(d.type)
              .setText(d.text)
              .setPageNumber(d.page)
              .setBbox(
                  BoundingBox.newBuilder()
                      .setX(d.x)
                      .setY(d.top)
                      .setWidth(Math.max(0, d.right - d.x))
                      .setHeight(Math.max(0, d.bottom - d.top)))
              .setFontSize(d.size)
              .setBold(d.bold)
              .setHeadingLevel(d.level)
              .setParentId(parent);
      if (d.table != null) {
        e.setTable(d.table);
      }
      elements.add(e.build());
    }
    return elements;
  }

  private static int sectionLevel(Draft d) {
    return d.type == ElementType.ELEMENT_TYPE_TITLE ? 0 : d.level;
  }

  /** An element before ids and parents are known. */
  private static final class Draft {
    ElementType type;
    int page;
    String text;
    float x;
    float top;
    float right;
    float bottom;
    float size;
    boolean bold;
    int level;
    int lines = 1;
    boolean multiColumn;
    Table table;
    String id;

    static Draft of(ElementType type, int page, List<TextChunk> chunks) {
      Draft d = new Draft();
      d.type = type;
      d.page = page;
      d.x = Float.MAX_VALUE;
      d.top = Float.MAX_VALUE;
      d.right = -Float.MAX_VALUE;
      d.bottom = -Float.MAX_VALUE;
      for (TextChunk c : chunks) {
        d.x = Math.min(d.x, c.x());
        d.top = Math.min(d.top, c.top());
        d.right = Math.max(d.right, c.right());
        d.bottom = Math.max(d.bottom, c.bottom());
      }
      d.text = String.join(" ", chunks.stream().map(TextChunk::text).toList());
      d.size = chunks.isEmpty() ? 0 : chunks.get(0).size();
      d.bold = !chunks.isEmpty() && chunks.get(0).bold();
      return d;
    }

    boolean isRunning() {
      return type == ElementType.ELEMENT_TYPE_HEADER
          || type == ElementType.ELEMENT_TYPE_FOOTER
          || type == ElementType.ELEMENT_TYPE_PAGE_NUMBER;
    }
  }
}
