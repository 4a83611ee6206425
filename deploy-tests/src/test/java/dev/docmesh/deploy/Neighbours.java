package dev.docmesh.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's Prometheus tools. Missing ones skip the tests that need them on a developer's machine,
 * and fail them in CI ({@code -Ddocmesh.require.prometheus=true}, or the marker file .ci/k8s.sh
 * writes after installing them).
 */
final class Neighbours {
  private Neighbours() {}

  static boolean required() {
    // .ci/k8s.sh installs the tools before `mvn verify` and leaves this marker behind
    return Boolean.getBoolean("docmesh.require.prometheus")
        || Files.exists(Manifests.root().resolve("deploy-tests/target/require-prometheus"));
  }

  static Optional<Path> find(String... names) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      for (String name : names) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  /** The tool, or a skip (a failure when required). */
  static Path need(String... names) {
    Optional<Path> tool = find(names);
    if (tool.isEmpty()) {
      String why =
          String.join("/", names)
              + " is not installed (apt-get install prometheus prometheus-alertmanager)";
      if (required()) {
        throw new AssertionError(why + " and docmesh.require.prometheus=true");
      }
      Assumptions.abort(why);
    }
    return tool.get();
  }
}
