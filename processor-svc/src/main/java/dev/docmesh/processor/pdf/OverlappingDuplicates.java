package dev.docmesh.processor.pdf;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pdfbox.text.TextPosition;

/**
 * PDFTextStripper's rule for text drawn again over itself (fake bold: the same glyph shown twice a
 * fraction of its width apart), to the same float comparisons: a character is dropped when the same
 * string was shown on the page at x in [x - t, x + t) and y in [y - t, y + t), t a third of its
 * width per char. PDFBox asks through subMap and subSet views, a view, a values collection and an
 * iterator for every glyph: 11 % of pdf.text's processing-thread samples (async-profiler, measured
 * passes). Here the same TreeMaps are walked with ceiling and higher lookups.
 */
final class OverlappingDuplicates {
  private final Map<String, TreeMap<Float, TreeSet<Float>>> shown = new HashMap<>();

  /** Forgets the page's characters (PDFTextStripper starts each page afresh). */
  void clear() {
    shown.clear();
  }

  /** True when {@code text} repeats a character shown nearby; else remembers it. */
  boolean repeats(TextPosition text) {
    String character = text.getUnicode();
    float x = text.getX();
    float y = text.getY();
    TreeMap<Float, TreeSet<Float>> same = shown.computeIfAbsent(character, k -> new TreeMap<>());
    float tolerance = text.getWidth() / character.length() / 3.0f;
    float fromX = x - tolerance;
    float toX = x + tolerance;
    checkRange(fromX, toX);
    for (Float atX = same.ceilingKey(fromX);
        atX != null && Float.compare(atX, toX) < 0;
        atX = same.higherKey(atX)) {
      float fromY = y - tolerance;
      float toY = y + tolerance;
      checkRange(fromY, toY);
      Float atY = same.get(atX).ceiling(fromY);
      if (atY != null && Float.compare(atY, toY) < 0) {
        return true;
      }
    }
    same.computeIfAbsent(x, k -> new TreeSet<>()).add(y);
    return false;
  }

  /** What PDFBox's subMap and subSet throw for a negative width, so that fails as it did. */
  private static void checkRange(float from, float to) {
    if (Float.compare(from, to) > 0) {
      throw new IllegalArgumentException("fromKey > toKey");
    }
  }
}
