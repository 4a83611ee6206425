package dev.docmesh.docgen;

import dev.docmesh.proto.document.v1.ElementType;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * Everything the generator put into a document, as the processors should find it again.
 *
 * @param blocks body elements in reading order (title, headings, paragraphs, list items, caption,
 *     table); header, footer and page numbers are in the fields below
 * @param headerText the running header, the same on every page
 * @param footerText the running footer, the same on every page
 * @param pageNumberTexts the page number line of each page, e.g. "Page 2 of 5"
 * @param outline the bookmarks, depth first
 * @param links internal links: where each is and which page it goes to
 */
public record GroundTruth(
    Info info,
    int pageCount,
    List<Block> blocks,
    String headerText,
    String footerText,
    List<String> pageNumberTexts,
    List<OutlineEntry> outline,
    List<Link> links) {

  /** The Info dictionary as written. */
  public record Info(
      String title,
      String author,
      String subject,
      String keywords,
      String creator,
      String producer,
      OffsetDateTime created) {}

  /**
   * One body element. {@code text} is as a reader sees it: lines joined by single spaces, list
   * items without their bullet; for tables the rows are in {@code rows}.
   */
  public record Block(
      ElementType type, String text, int page, int headingLevel, List<List<String>> rows) {
    public Block {
      rows = rows == null ? List.of() : rows.stream().map(List::copyOf).toList();
    }
  }

  /** A bookmark; {@code level} 1 for chapters, 2 for their sections. */
  public record OutlineEntry(String title, int level, int page) {}

  /** A link on {@code page} over the text {@code label}, going to {@code targetPage}. */
  public record Link(int page, String label, int targetPage) {}

  public List<Block> blocksOfType(ElementType type) {
    return blocks.stream().filter(b -> b.type() == type).toList();
  }
}
