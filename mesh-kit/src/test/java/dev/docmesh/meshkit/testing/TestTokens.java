package dev.docmesh.meshkit.testing;

import dev.docmesh.meshkit.security.TokenStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tokens file as {@code DOCMESH_AUTH_TOKENS_FILE} reads it, and the plain tokens a test sends.
 */
public final class TestTokens {
  private static final SecureRandom RANDOM = new SecureRandom();

  private TestTokens() {}

  /** Writes one token per name with the given roles; returns the plain tokens by name. */
  public static Map<String, String> write(Path file, Map<String, List<String>> rolesByName) {
    Map<String, String> plain = new LinkedHashMap<>();
    StringBuilder yaml = new StringBuilder("tokens:\n");
    rolesByName.forEach(
        (name, roles) -> {
          byte[] raw = new byte[24];
          RANDOM.nextBytes(raw);
          String token = HexFormat.of().formatHex(raw);
          plain.put(name, token);
          yaml.append("  - name: ")
              .append(name)
              .append('\n')
              .append("    roles: [")
              .append(String.join(", ", roles))
              .append("]\n")
              .append("    sha256: \"")
              .append(TokenStore.sha256Hex(token))
              .append("\"\n");
        });
    try {
      TestPki.replace(file, yaml.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return plain;
  }
}
