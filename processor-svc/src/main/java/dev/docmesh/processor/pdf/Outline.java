package dev.docmesh.processor.pdf;

import dev.docmesh.proto.document.v1.OutlineItem;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.interactive.documentnavigation.outline.PDDocumentOutline;
import org.apache.pdfbox.pdmodel.interactive.documentnavigation.outline.PDOutlineItem;
import org.apache.pdfbox.pdmodel.interactive.documentnavigation.outline.PDOutlineNode;

/** The outline (bookmarks) depth first, with target pages; cycles and absurd sizes are cut off. */
public final class Outline {
  private static final int MAX_ITEMS = 10_000;
  private static final int MAX_DEPTH = 32;

  private Outline() {}

  public static List<OutlineItem> read(PDDocument document) {
    PDDocumentOutline outline = document.getDocumentCatalog().getDocumentOutline();
    List<OutlineItem> items = new ArrayList<>();
    if (outline != null) {
      walk(document, outline, 1, items, Collections.newSetFromMap(new IdentityHashMap<>()));
    }
    return items;
  }

  private static void walk(
      PDDocument document,
      PDOutlineNode node,
      int level,
      List<OutlineItem> items,
      Set<Object> seen) {
    if (level > MAX_DEPTH) {
      return;
    }
    for (PDOutlineItem item : node.children()) {
      if (items.size() >= MAX_ITEMS || !seen.add(item.getCOSObject())) {
        return;
      }
      items.add(
          OutlineItem.newBuilder()
              .setTitle(item.getTitle() == null ? "" : item.getTitle())
              .setLevel(level)
              .setPageNumber(pageOf(document, item))
              .build());
      walk(document, item, level + 1, items, seen);
    }
  }

  private static int pageOf(PDDocument document, PDOutlineItem item) {
    try {
      PDPage page = item.findDestinationPage(document);
      return page == null ? 0 : document.getPages().indexOf(page) + 1;
    } catch (IOException | RuntimeException e) {
      return 0; // a dangling destination is not worth failing the whole metadata for
    }
  }
}
