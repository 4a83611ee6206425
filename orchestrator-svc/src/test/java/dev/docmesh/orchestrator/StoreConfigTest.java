package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.docmesh.meshkit.config.ConfigException;
import dev.docmesh.meshkit.config.Env;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DOCMESH_STORE and DOCMESH_POSTGRES_*: defaults, and each wrong setting named in the refusal. */
class StoreConfigTest {
  @TempDir Path dir;

  @Test
  void sqliteIsTheDefault() {
    assertThat(StoreConfig.fromEnv(Env.of(Map.of())).kind()).isEqualTo(StoreConfig.Kind.SQLITE);
  }

  @Test
  void postgresNeedsAJdbcUrlAndTakesThePasswordFromAFile() throws Exception {
    assertThatThrownBy(() -> StoreConfig.fromEnv(Env.of(Map.of("DOCMESH_STORE", "postgres"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("DOCMESH_POSTGRES_URL");
    assertThatThrownBy(
            () ->
                StoreConfig.fromEnv(
                    Env.of(
                        Map.of(
                            "DOCMESH_STORE",
                            "postgres",
                            "DOCMESH_POSTGRES_URL",
                            "postgres://db/x"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("DOCMESH_POSTGRES_URL");
    Path secret = Files.writeString(dir.resolve("password"), "s3cret\n");
    StoreConfig c =
        StoreConfig.fromEnv(
            Env.of(
                Map.of(
                    "DOCMESH_STORE",
                    "postgres",
                    "DOCMESH_POSTGRES_URL",
                    "jdbc:postgresql://db/docmesh",
                    "DOCMESH_POSTGRES_PASSWORD_FILE",
                    secret.toString(),
                    "DOCMESH_POSTGRES_POOL_SIZE",
                    "7")));
    assertThat(c.postgres().orElseThrow())
        .isEqualTo(
            new StoreConfig.Postgres("jdbc:postgresql://db/docmesh", "docmesh", "s3cret", 7));
    assertThat(c.postgres().orElseThrow().toString()).doesNotContain("s3cret");
  }

  @Test
  void wrongSettingsAreRefusedByName() {
    assertThatThrownBy(() -> StoreConfig.fromEnv(Env.of(Map.of("DOCMESH_STORE", "mysql"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("DOCMESH_STORE");
    Map<String, String> pg =
        Map.of("DOCMESH_STORE", "postgres", "DOCMESH_POSTGRES_URL", "jdbc:postgresql://db/docmesh");
    assertThatThrownBy(
            () ->
                StoreConfig.fromEnv(
                    Env.of(
                        with(
                            pg,
                            "DOCMESH_POSTGRES_PASSWORD",
                            "a",
                            "DOCMESH_POSTGRES_PASSWORD_FILE",
                            "/x"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("DOCMESH_POSTGRES_PASSWORD_FILE");
    assertThatThrownBy(
            () ->
                StoreConfig.fromEnv(
                    Env.of(
                        with(
                            pg, "DOCMESH_POSTGRES_PASSWORD_FILE", dir.resolve("none").toString()))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("DOCMESH_POSTGRES_PASSWORD_FILE");
    assertThatThrownBy(
            () -> StoreConfig.fromEnv(Env.of(with(pg, "DOCMESH_POSTGRES_POOL_SIZE", "1"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("DOCMESH_POSTGRES_POOL_SIZE");
  }

  private static Map<String, String> with(Map<String, String> base, String... kv) {
    Map<String, String> m = new java.util.HashMap<>(base);
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }
}
