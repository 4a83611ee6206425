package dev.docmesh.processor.layout;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Chunks that share a baseline, left to right. */
record TextLine(List<TextChunk> chunks) {

  /** Groups glyphs into lines by baseline, and each line into chunks at wide gaps. */
  static List<TextLine> build(List<Glyph> glyphs) {
    List<Glyph> sorted = new ArrayList<>(glyphs);
    sorted.sort(Comparator.comparingDouble(Glyph::baseline).thenComparingDouble(Glyph::x));
    List<List<Glyph>> rows = new ArrayList<>();
    List<Glyph> row = new ArrayList<>();
    float rowBaseline = 0;
    for (Glyph g : sorted) {
      if (!row.isEmpty() && Math.abs(g.baseline() - rowBaseline) > 0.4f * Math.max(g.size(), 1f)) {
        rows.add(row);
        row = new ArrayList<>();
      }
      if (row.isEmpty()) {
        rowBaseline = g.baseline();
      }
      row.add(g);
    }
    if (!row.isEmpty()) {
      rows.add(row);
    }
    List<TextLine> lines = new ArrayList<>();
    for (List<Glyph> r : rows) {
      TextLine line = split(r);
      if (!line.chunks().isEmpty()) {
        lines.add(line);
      }
    }
    return lines;
  }

  private static TextLine split(List<Glyph> row) {
    row.sort(Comparator.comparingDouble(Glyph::x));
    List<TextChunk> chunks = new ArrayList<>();
    List<Glyph> current = new ArrayList<>();
    float right = 0;
    for (Glyph g : row) {
      if (g.text().isBlank() && current.isEmpty()) {
        continue;
      }
      // A gap of about two em separates table cells or the sides of a header; word gaps are
      // a fraction of an em even in justified text.
      if (!current.isEmpty()
          && !g.text().isBlank()
          && g.x() - right > 1.8f * Math.max(g.size(), 1f)) {
        add(chunks, current);
        current = new ArrayList<>();
      }
      current.add(g);
      if (!g.text().isBlank()) {
        right = g.right();
      }
    }
    add(chunks, current);
    return new TextLine(chunks);
  }

  private static void add(List<TextChunk> chunks, List<Glyph> glyphs) {
    if (glyphs.isEmpty()) {
      return;
    }
    TextChunk chunk = TextChunk.of(glyphs);
    if (!chunk.text().isEmpty()) {
      chunks.add(chunk);
    }
  }

  float x() {
    return chunks.get(0).x();
  }

  float right() {
    return chunks.get(chunks.size() - 1).right();
  }

  float top() {
    return (float) chunks.stream().mapToDouble(TextChunk::top).min().orElse(0);
  }

  float baseline() {
    return (float) chunks.stream().mapToDouble(TextChunk::baseline).max().orElse(0);
  }

  float size() {
    return chunks.stream()
        .max(Comparator.comparingInt(c -> c.text().length()))
        .map(TextChunk::size)
        .orElse(0f);
  }

  boolean bold() {
    return chunks.stream()
        .max(Comparator.comparingInt(c -> c.text().length()))
        .map(TextChunk::bold)
        .orElse(false);
  }

  String text() {
    return String.join(" ", chunks.stream().map(TextChunk::text).toList());
  }
}
