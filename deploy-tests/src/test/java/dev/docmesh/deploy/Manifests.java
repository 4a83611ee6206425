package dev.docmesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Renders kustomizations with the real {@code kubectl kustomize} and reads the objects. */
final class Manifests {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Map<Path, List<ObjectNode>> CACHE = new ConcurrentHashMap<>();

  private Manifests() {}

  static Path root() {
    return Path.of(System.getProperty("docmesh.root", "..")).toAbsolutePath().normalize();
  }

  static Path k8s(String relative) {
    return root().resolve("k8s").resolve(relative);
  }

  /**
   * Overlay minikube-secure. Its security component generates the Secrets from {@code
   * scripts/dev-certs.sh} output in a gitignored directory; made here when absent, as a user would.
   */
  static synchronized Path secureOverlay() {
    Path secrets = k8s("components/security/secrets");
    if (!Files.exists(secrets.resolve("ca.crt"))) {
      try {
        Process p =
            new ProcessBuilder(
                    "bash", root().resolve("scripts/dev-certs.sh").toString(), secrets.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (p.waitFor() != 0) {
          throw new IllegalStateException(
              "scripts/dev-certs.sh " + secrets + " failed: " + p.exitValue());
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return k8s("overlays/minikube-secure");
  }

  /**
   * Overlay minikube-secure with the load component and its secure part, as {@code
   * scripts/minikube.sh load} composes them for a secure overlay. The load-secure component
   * generates a ConfigMap from the services' protoset, a gitignored file: written here (as that
   * script writes it), so it matches the contracts of this build.
   */
  static synchronized Path secureOverlayWithLoad() {
    secureOverlay();
    try {
      dev.docmesh.bench.Protoset.write(k8s("components/load-secure/protoset/docmesh.protoset"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return overlayWith("minikube-secure", "load", "load-secure");
  }

  /** The objects of {@code kubectl kustomize dir}, in output order. */
  static List<ObjectNode> render(Path dir) {
    return CACHE.computeIfAbsent(dir.toAbsolutePath().normalize(), Manifests::kustomize);
  }

  static String renderText(Path dir) {
    try {
      Path out = Files.createTempFile("kustomize", ".yaml");
      Path err = Files.createTempFile("kustomize", ".err");
      try {
        Process p =
            new ProcessBuilder("kubectl", "kustomize", dir.toString())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new AssertionError("kubectl kustomize " + dir + " did not finish in 120 s");
        }
        if (p.exitValue() != 0) {
          throw new AssertionError(
              "kubectl kustomize " + dir + " failed: " + Files.readString(err));
        }
        return Files.readString(out, StandardCharsets.UTF_8);
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run kubectl (is it installed?)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static List<ObjectNode> kustomize(Path dir) {
    return parseAll(renderText(dir));
  }

  static List<ObjectNode> parseAll(String yaml) {
    List<ObjectNode> out = new ArrayList<>();
    try (YAMLParser parser = ((YAMLFactory) YAML.getFactory()).createParser(yaml)) {
      for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
        if (doc instanceof ObjectNode o) {
          out.add(o);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /**
   * A temporary kustomization with the base and the given components, so each component is rendered
   * (and checked) on its own, not only as part of an overlay.
   */
  static Path withComponents(String... components) {
    try {
      Path dir =
          root()
              .resolve(
                  "deploy-tests/target/kustomize/"
                      + String.join("+", components).replace('/', '_'));
      Files.createDirectories(dir);
      Path rel = dir.relativize(k8s(""));
      StringBuilder k = new StringBuilder();
      k.append(
          "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: docmesh\n");
      k.append("resources:\n  - ").append(rel.resolve("base")).append('\n');
      k.append("components:\n");
      for (String c : components) {
        k.append("  - ").append(rel.resolve("components").resolve(c)).append('\n');
      }
      Files.writeString(dir.resolve("kustomization.yaml"), k.toString());
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A temporary kustomization with an overlay and components on top, as {@code scripts/minikube.sh
   * load} composes the deployed overlay with the load component.
   */
  static Path overlayWith(String overlay, String... components) {
    try {
      Path dir =
          root()
              .resolve(
                  "deploy-tests/target/kustomize/" + overlay + "+" + String.join("+", components));
      Files.createDirectories(dir);
      Path rel = dir.relativize(k8s(""));
      StringBuilder k = new StringBuilder();
      k.append(
          "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: docmesh\n");
      k.append("resources:\n  - ").append(rel.resolve("overlays").resolve(overlay)).append('\n');
      k.append("components:\n");
      for (String c : components) {
        k.append("  - ").append(rel.resolve("components").resolve(c)).append('\n');
      }
      Files.writeString(dir.resolve("kustomization.yaml"), k.toString());
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<ObjectNode> ofKind(List<ObjectNode> objects, String kind) {
    return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
  }

  static Optional<ObjectNode> find(List<ObjectNode> objects, String kind, String name) {
    return objects.stream()
        .filter(
            o ->
                kind.equals(o.path("kind").asText())
                    && name.equals(o.path("metadata").path("name").asText()))
        .findFirst();
  }

  static ObjectNode get(List<ObjectNode> objects, String kind, String name) {
    return find(objects, kind, name)
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " rendered"));
  }

  static String name(JsonNode o) {
    return o.path("metadata").path("name").asText();
  }

  static String id(JsonNode o) {
    return o.path("kind").asText() + "/" + name(o);
  }

  /** The Jobs, as {@link Workload}s (a pod template with one container, like the others). */
  static List<Workload> jobs(List<ObjectNode> objects) {
    return ofKind(objects, "Job").stream().map(o -> new Workload(o, objects)).toList();
  }

  /** Deployments and StatefulSets. */
  static List<ObjectNode> workloads(List<ObjectNode> objects) {
    return objects.stream()
        .filter(o -> List.of("Deployment", "StatefulSet").contains(o.path("kind").asText()))
        .toList();
  }
}
