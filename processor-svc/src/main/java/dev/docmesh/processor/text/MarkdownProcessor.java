package dev.docmesh.processor.text;

import dev.docmesh.meshkit.media.MediaTypes;
import dev.docmesh.processor.layout.LayoutAnalyzer;
import dev.docmesh.processor.spi.DocumentProcessor;
import dev.docmesh.processor.spi.ProcessingContext;
import dev.docmesh.proto.document.v1.Element;
import dev.docmesh.proto.document.v1.ElementType;
import dev.docmesh.proto.document.v1.Elements;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.document.v1.Table;
import dev.docmesh.proto.document.v1.TableCell;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code text.markdown}: the elements of a Markdown document, the same model pdf.structure
 * produces: a leading level-1 heading is the title, other headings keep their level, list items,
 * pipe tables with cells, captions, paragraphs (fenced code kept verbatim), each with its enclosing
 * section. Everything is on page 1; there is no geometry.
 */
public final class MarkdownProcessor implements DocumentProcessor {
  public static final String NAME = "text.markdown";

  private static final Pattern ATX = Pattern.compile("^ {0,3}(#{1,6})(?:\\s+(.*?))?\\s*#*\\s*$");
  private static final Pattern SETEXT = Pattern.compile("^ {0,3}(=+|-+)\\s*$");
  private static final Pattern ITEM = Pattern.compile("^(\\s*)([-*+]|\\d{1,9}[.)])\\s+(.*)$");
  private static final Pattern FENCE = Pattern.compile("^ {0,3}(```|~~~).*$");
  private static final Pattern TABLE_SEPARATOR =
      Pattern.compile("^\\s*\\|?\\s*:?-{2,}:?\\s*(\\|\\s*:?-{2,}:?\\s*)*\\|?\\s*$");

  @Override
  public ProcessorInfo info() {
    return ProcessorInfo.newBuilder()
        .setName(NAME)
        .setVersion("1.0.0")
        .setDescription(
            "Finds the elements of a Markdown document: title, headings, paragraphs, list items, tables.")
        .addMediaTypes(MediaTypes.MARKDOWN)
        .addMediaTypes(MediaTypes.PLAIN)
        .setOutput("elements")
        .build();
  }

  @Override
  public StageOutput process(ProcessingContext context) {
    List<String> lines = List.of(TextDecoding.decode(context.content()).split("\n", -1));
    List<Element.Builder> blocks = new Parser(lines, context).parse();
    return StageOutput.newBuilder()
        .setElements(Elements.newBuilder().addAllElements(withIdsAndParents(blocks)))
        .build();
  }

  /** Line-by-line block parser for the Markdown subset documents use most. */
  private static final class Parser {
    private final List<String> lines;
    private final ProcessingContext context;
    private final List<Element.Builder> out = new ArrayList<>();
    private final List<String> paragraph = new ArrayList<>();
    private Element.Builder item;

    Parser(List<String> lines, ProcessingContext context) {
      this.lines = lines;
      this.context = context;
    }

    List<Element.Builder> parse() {
      int i = 0;
      while (i < lines.size()) {
        if (i % 4096 == 0) {
          context.checkpoint();
        }
        String line = lines.get(i);
        Matcher m;
        if (FENCE.matcher(line).matches()) {
          i = fenced(i);
        } else if (line.isBlank()) {
          flush();
          i++;
        } else if ((m = ATX.matcher(line)).matches()) {
          flush();
          heading(m.group(1).length(), m.group(2) == null ? "" : m.group(2));
          i++;
        } else if (!paragraph.isEmpty() && item == null && SETEXT.matcher(line).matches()) {
          String text = String.join(" ", paragraph);
          paragraph.clear();
          heading(line.trim().startsWith("=") ? 1 : 2, text);
          i++;
        } else if (line.trim().startsWith("|")
            && i + 1 < lines.size()
            && TABLE_SEPARATOR.matcher(lines.get(i + 1)).matches()) {
          flush();
          i = table(i);
        } else if ((m = ITEM.matcher(line)).matches()) {
          flush();
          String marker = m.group(2);
          String text =
              Character.isDigit(marker.charAt(0)) ? marker + " " + m.group(3) : m.group(3);
          item = element(ElementType.ELEMENT_TYPE_LIST_ITEM, text.strip());
          i++;
        } else if (item != null && Character.isWhitespace(line.charAt(0))) {
          item.setText(item.getText() + " " + line.strip());
          i++;
        } else {
          if (item != null) {
            flush();
          }
          paragraph.add(line.strip().replaceFirst("^>\\s?", ""));
          i++;
        }
      }
      flush();
      return out;
    }

    private int fenced(int start) {
      flush();
      String fence = lines.get(start).trim().substring(0, 3);
      List<String> code = new ArrayList<>();
      int i = start + 1;
      while (i < lines.size() && !lines.get(i).trim().startsWith(fence)) {
        code.add(lines.get(i));
        i++;
      }
      element(ElementType.ELEMENT_TYPE_PARAGRAPH, String.join("\n", code));
      return Math.min(i + 1, lines.size());
    }

    private int table(int start) {
      List<List<String>> rows = new ArrayList<>();
      rows.add(cells(lines.get(start)));
      int i = start + 2;
      while (i < lines.size() && lines.get(i).trim().startsWith("|")) {
        rows.add(cells(lines.get(i)));
        i++;
      }
      int columns = rows.get(0).size();
      Table.Builder table = Table.newBuilder().setRowCount(rows.size()).setColumnCount(columns);
      List<String> text = new ArrayList<>();
      for (int r = 0; r < rows.size(); r++) {
        for (int c = 0; c < rows.get(r).size(); c++) {
          table.addCells(TableCell.newBuilder().setRow(r).setColumn(c).setText(rows.get(r).get(c)));
        }
        text.add(String.join("\t", rows.get(r)));
      }
      element(ElementType.ELEMENT_TYPE_TABLE, String.join("\n", text)).setTable(table);
      return i;
    }

    private static List<String> cells(String row) {
      String r = row.strip();
      if (r.startsWith("|")) {
        r = r.substring(1);
      }
      if (r.endsWith("|") && !r.endsWith("\\|")) {
        r = r.substring(0, r.length() - 1);
      }
      return List.of(r.split("(?<!\\\\)\\|", -1)).stream().map(String::strip).toList();
    }

    private void heading(int level, String text) {
      boolean title = level == 1 && out.isEmpty();
      Element.Builder e =
          element(
              title ? ElementType.ELEMENT_TYPE_TITLE : ElementType.ELEMENT_TYPE_HEADING,
              text.strip());
      if (!title) {
        e.setHeadingLevel(level);
      }
    }

    private void flush() {
      item = null;
      if (paragraph.isEmpty()) {
        return;
      }
      String text = String.join(" ", paragraph);
      paragraph.clear();
      element(
          LayoutAnalyzer.isCaption(text)
              ? ElementType.ELEMENT_TYPE_CAPTION
              : ElementType.ELEMENT_TYPE_PARAGRAPH,
          text);
    }

    private Element.Builder element(ElementType type, String text) {
      Element.Builder e = Element.newBuilder().setType(type).setText(text).setPageNumber(1);
      out.add(e);
      return e;
    }
  }

  private static List<Element> withIdsAndParents(List<Element.Builder> blocks) {
    Deque<Element.Builder> sections = new ArrayDeque<>();
    List<Element> elements = new ArrayList<>();
    int n = 0;
    for (Element.Builder e : blocks) {
      e.setId("e" + (++n));
      boolean section =
          e.getType() == ElementType.ELEMENT_TYPE_TITLE
              || e.getType() == ElementType.ELEMENT_TYPE_HEADING;
      if (section) {
        while (!sections.isEmpty() && sections.peek().getHeadingLevel() >= e.getHeadingLevel()) {
          sections.pop();
        }
      }
      e.setParentId(sections.isEmpty() ? "" : sections.peek().getId());
      if (section) {
        sections.push(e);
      }
      elements.add(e.build());
    }
    return elements;
  }
}
