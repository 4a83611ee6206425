package dev.docmesh.processor.layout;

/**
 * One character as drawn, in page coordinates with the origin at the top-left and y growing
 * downwards ({@code baseline} is the y of the text baseline).
 */
public record Glyph(
    String text, float x, float baseline, float width, float height, float size, boolean bold) {
  float right() {
    return x + width;
  }

  float top() {
    return baseline - height;
  }
}
