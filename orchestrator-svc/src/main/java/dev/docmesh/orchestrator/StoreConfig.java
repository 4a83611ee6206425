package dev.docmesh.orchestrator;

import dev.docmesh.meshkit.config.ConfigException;
import dev.docmesh.meshkit.config.Env;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the orchestrator keeps its state: {@code DOCMESH_STORE=sqlite} (one replica, a file in
 * {@code DOCMESH_DATA_DIR}) or {@code postgres} (any number of replicas on one database).
 *
 * @param postgres the connection settings; present exactly when the store is postgres
 */
public record StoreConfig(Kind kind, Optional<Postgres> postgres) {

  public enum Kind {
    SQLITE,
    POSTGRES
  }

  /**
   * @param poolSize connections each replica keeps (one more is held for LISTEN)
   */
  public record Postgres(String url, String user, String password, int poolSize) {
    @Override
    public String toString() {
      return "Postgres[url=" + url + ", user=" + user + ", poolSize=" + poolSize + "]";
    }
  }

  public static StoreConfig fromEnv(Env env) {
    String kind = env.string("DOCMESH_STORE", "sqlite").toLowerCase(Locale.ROOT);
    if (kind.equals("sqlite")) {
      return new StoreConfig(Kind.SQLITE, Optional.empty());
    }
    if (!kind.equals("postgres")) {
      throw new ConfigException(
          "DOCMESH_STORE='" + kind + "' is not valid: expected sqlite or postgres");
    }
    String url =
        env.raw("DOCMESH_POSTGRES_URL")
            .orElseThrow(
                () ->
                    new ConfigException(
                        "DOCMESH_POSTGRES_URL is required when DOCMESH_STORE=postgres (e.g. jdbc:postgresql://db:5432/docmesh)"));
    if (!url.startsWith("jdbc:postgresql:")) {
      throw new ConfigException(
          "DOCMESH_POSTGRES_URL='" + url + "' is not valid: expected a jdbc:postgresql: URL");
    }
    String user = env.string("DOCMESH_POSTGRES_USER", "docmesh");
    Optional<String> inline = env.raw("DOCMESH_POSTGRES_PASSWORD");
    Optional<String> file = env.raw("DOCMESH_POSTGRES_PASSWORD_FILE");
    if (inline.isPresent() && file.isPresent()) {
      throw new ConfigException(
          "DOCMESH_POSTGRES_PASSWORD and DOCMESH_POSTGRES_PASSWORD_FILE are both set: set one");
    }
    String password = inline.orElse("");
    if (file.isPresent()) {
      try {
        password = Files.readString(Path.of(file.get()), StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new ConfigException(
            "DOCMESH_POSTGRES_PASSWORD_FILE='"
                + file.get()
                + "' cannot be read: "
                + e.getMessage());
      }
    }
    int pool = env.integer("DOCMESH_POSTGRES_POOL_SIZE", 10, 2, 1000);
    return new StoreConfig(Kind.POSTGRES, Optional.of(new Postgres(url, user, password, pool)));
  }
}
