package dev.docmesh.docgen;

/**
 * What to generate: a title, an exact page count, and a seed that fixes every word, so the same
 * spec always yields the same document.
 */
public record DocumentSpec(String title, int pageCount, long seed) {
  public DocumentSpec {
    if (title == null || title.isBlank()) {
      throw new IllegalArgumentException("title must not be blank");
    }
    if (pageCount < 1 || pageCount > 10_000) {
      throw new IllegalArgumentException("pageCount must be 1..10000, not " + pageCount);
    }
  }

  public static DocumentSpec of(int pageCount) {
    return new DocumentSpec("Quarterly Operations Report", pageCount, 42);
  }
}
