package dev.docmesh.processor.layout;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A run of glyphs on one line with no wide gap inside: a line of body text, or one cell or one side
 * of a header. Its font size and weight are those of most of its characters.
 */
record TextChunk(
    String text, float x, float top, float right, float baseline, float size, boolean bold) {

  static TextChunk of(List<Glyph> glyphs) {
    StringBuilder text = new StringBuilder();
    float x = Float.MAX_VALUE,
        top = Float.MAX_VALUE,
        right = -Float.MAX_VALUE,
        baseline = -Float.MAX_VALUE;
    Map<Float, Integer> sizes = new HashMap<>();
    int bold = 0;
    Glyph previous = null;
    for (Glyph g : glyphs) {
      if (previous != null && needsSpace(previous, g, text)) {
        text.append(' ');
      }
      text.append(g.text());
      x = Math.min(x, g.x());
      top = Math.min(top, g.top());
      right = Math.max(right, g.right());
      baseline = Math.max(baseline, g.baseline());
      if (!g.text().isBlank()) {
        sizes.merge(Math.round(g.size() * 2) / 2f, 1, Integer::sum);
        bold += g.bold() ? 1 : -1;
      }
      previous = g;
    }
    float size =
        sizes.entrySet().stream()
            .max(Map.Entry.comparingByValue())
            .map(Map.Entry::getKey)
            .orElse(0f);
    return new TextChunk(
        text.toString().replaceAll("\\s+", " ").strip(), x, top, right, baseline, size, bold > 0);
  }

  /** Word gaps that the PDF leaves to positioning instead of a space character. */
  private static boolean needsSpace(Glyph previous, Glyph next, CharSequence text) {
    if (text.length() > 0 && Character.isWhitespace(text.charAt(text.length() - 1))
        || next.text().isBlank()) {
      return false;
    }
    return next.x() - previous.right() > 0.2f * Math.max(next.size(), 1f);
  }

  float bottom() {
    return baseline + size * 0.25f;
  }
}
