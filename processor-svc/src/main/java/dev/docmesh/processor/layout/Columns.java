package dev.docmesh.processor.layout;

import java.util.ArrayList;
import java.util.List;

/**
 * Two-column pages: lines then hold two wide chunks side by side, which would read across the
 * columns (and look like a two-column table). When most text lines of a page split at the same
 * gutter, the page is read as the left column, then the right one.
 */
final class Columns {
  private static final float WIDE = 0.2f;
  private static final float SHARE = 0.4f;
  private static final int MIN_LINES = 5;

  private Columns() {}

  static List<TextLine> readingOrder(List<TextLine> lines, float pageWidth) {
    List<Float> gutters = new ArrayList<>();
    for (TextLine line : lines) {
      if (line.chunks().size() == 2
          && width(line.chunks().get(0)) > WIDE * pageWidth
          && width(line.chunks().get(1)) > WIDE * pageWidth) {
        gutters.add((line.chunks().get(0).right() + line.chunks().get(1).x()) / 2);
      }
    }
    if (gutters.size() < MIN_LINES || gutters.size() < SHARE * lines.size()) {
      return lines;
    }
    gutters.sort(Float::compare);
    float gutter = gutters.get(gutters.size() / 2);
    List<TextLine> left = new ArrayList<>();
    List<TextLine> right = new ArrayList<>();
    List<TextLine> spanning = new ArrayList<>();
    for (TextLine line : lines) {
      List<TextChunk> l = new ArrayList<>();
      List<TextChunk> r = new ArrayList<>();
      for (TextChunk c : line.chunks()) {
        if (c.right() <= gutter + 1) {
          l.add(c);
        } else if (c.x() >= gutter - 1) {
          r.add(c);
        }
      }
      if (l.size() + r.size() < line.chunks().size()) {
        spanning.add(line); // a title or figure across both columns
        continue;
      }
      if (!l.isEmpty()) {
        left.add(new TextLine(l));
      }
      if (!r.isEmpty()) {
        right.add(new TextLine(r));
      }
    }
    // Lines spanning both columns above the columns come first, those below come last.
    float columnsTop = Math.min(top(left), top(right));
    List<TextLine> ordered = new ArrayList<>();
    spanning.stream().filter(s -> s.baseline() <= columnsTop).forEach(ordered::add);
    ordered.addAll(left);
    ordered.addAll(right);
    spanning.stream().filter(s -> s.baseline() > columnsTop).forEach(ordered::add);
    return ordered;
  }

  private static float width(TextChunk c) {
    return c.right() - c.x();
  }

  private static float top(List<TextLine> lines) {
    return lines.isEmpty() ? Float.MAX_VALUE : lines.get(0).top();
  }
}
