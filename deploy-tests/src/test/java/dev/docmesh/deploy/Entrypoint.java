package dev.docmesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The java command line of a service's image, read from its Dockerfile's ENTRYPOINT ({@code
 * ["/bin/sh", "-c", "exec java ... $JAVA_OPTS -jar /app/<svc>-svc.jar \"$@\"", ...]}), so the local
 * run starts the jar the way the container does.
 */
final class Entrypoint {
  private static final Pattern ENTRYPOINT = Pattern.compile("(?m)^ENTRYPOINT\\s+(\\[.*\\])\\s*$");

  private Entrypoint() {}

  /** Tokens from "java" on; "$JAVA_OPTS" stays a token for the caller to expand. */
  static List<String> of(String service) {
    Path dockerfile = Manifests.root().resolve("containers/" + service + ".Dockerfile");
    try {
      Matcher m = ENTRYPOINT.matcher(Files.readString(dockerfile));
      if (!m.find()) {
        throw new AssertionError(dockerfile + " has no exec-form ENTRYPOINT");
      }
      JsonNode form = Manifests.YAML.readTree(m.group(1));
      String script = null;
      for (JsonNode part : form) {
        if (part.asText().contains(" -jar ")) {
          script = part.asText();
        }
      }
      if (script == null) {
        throw new AssertionError(dockerfile + ": ENTRYPOINT runs no java -jar: " + form);
      }
      List<String> tokens = new ArrayList<>();
      boolean started = false;
      for (String t : script.trim().split("\\s+")) {
        if (t.equals("java")) {
          started = true;
        }
        if (started && !t.equals("\"$@\"") && !t.equals("$@")) {
          tokens.add(t.replace("${JAVA_OPTS}", "$JAVA_OPTS"));
        }
      }
      if (!tokens.contains("$JAVA_OPTS") || !tokens.contains("-jar")) {
        throw new AssertionError(
            dockerfile + ": the entrypoint must pass $JAVA_OPTS and -jar: " + script);
      }
      return tokens;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dockerfile + " (the image definitions)", e);
    }
  }
}
