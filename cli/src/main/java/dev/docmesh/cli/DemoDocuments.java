package dev.docmesh.cli;

import java.nio.file.Path;
import java.util.List;

/** The demo's documents, made by the project's document generator. */
final class DemoDocuments {
  private DemoDocuments() {}

  static List<Path> generate(Path dir) {
    return List.of();
  }
}
