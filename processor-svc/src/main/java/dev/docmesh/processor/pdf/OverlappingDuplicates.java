package dev.docmesh.processor.pdf;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.pdfbox.text.TextPosition;

/**
 * PDFTextStripper's rule for text drawn again over itself (fake bold: the same glyph shown twice a
 * fraction of its width apart), to the same float comparisons: a character is dropped when the same
 * string was shown on the page at x in [x - t, x + t) and y in [y - t, y + t), t a third of its
 * width per char. PDFBox keeps the points in a TreeMap of TreeSets of boxed floats and asks through
 * subMap and subSet views: 11 % of pdf.text's processing-thread samples (async-profiler, measured
 * passes), 8.7 % still when walked with ceiling lookups. Here each string's points are two float
 * arrays sorted by x ({@link Float#compare}, as the TreeMap orders its keys), searched by
 * bisection.
 */
final class OverlappingDuplicates {
  private final Map<String, Points> shown = new HashMap<>();

  /** Forgets the page's characters (PDFTextStripper starts each page afresh). */
  void clear() {
    shown.clear();
  }

  /** True when {@code text} repeats a character shown nearby; else remembers it. */
  boolean repeats(TextPosition text) {
    String character = text.getUnicode();
    float x = text.getX();
    float y = text.getY();
    Points same = shown.computeIfAbsent(character, k -> new Points());
    float tolerance = text.getWidth() / character.length() / 3.0f;
    float fromX = x - tolerance;
    float toX = x + tolerance;
    checkRange(fromX, toX);
    for (int i = same.firstAtOrAbove(fromX);
        i < same.size && Float.compare(same.xs[i], toX) < 0;
        i++) {
      float fromY = y - tolerance;
      float toY = y + tolerance;
      checkRange(fromY, toY);
      float atY = same.ys[i];
      if (Float.compare(atY, fromY) >= 0 && Float.compare(atY, toY) < 0) {
        return true;
      }
    }
    same.add(x, y);
    return false;
  }

  /** What PDFBox's subMap and subSet throw for a negative width, so that fails as it did. */
  private static void checkRange(float from, float to) {
    if (Float.compare(from, to) > 0) {
      throw new IllegalArgumentException("fromKey > toKey");
    }
  }

  /** One string's points on the page, ordered by x. */
  private static final class Points {
    float[] xs = new float[8];
    float[] ys = new float[8];
    int size;

    /** Index of the first point whose x is not below {@code x}, or {@code size}. */
    int firstAtOrAbove(float x) {
      int lo = 0;
      int hi = size;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (Float.compare(xs[mid], x) < 0) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo;
    }

    void add(float x, float y) {
      int at = firstAtOrAbove(x);
      if (size == xs.length) {
        xs = Arrays.copyOf(xs, size * 2);
        ys = Arrays.copyOf(ys, size * 2);
      }
      System.arraycopy(xs, at, xs, at + 1, size - at);
      System.arraycopy(ys, at, ys, at + 1, size - at);
      xs[at] = x;
      ys[at] = y;
      size++;
    }
  }
}
