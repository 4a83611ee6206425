package dev.docmesh.meshkit.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.docmesh.meshkit.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer tokens a server accepts, from a YAML file of {@code tokens: [{name, roles, sha256}]}
 * (the hex SHA-256 of each token: plain tokens are never stored). The file is re-read when it
 * changes (a rotated Kubernetes Secret), checked at most once per {@code checkEvery}; a file that
 * no longer parses keeps the previous tokens and says so in the log.
 */
public final class TokenStore {
  private static final Logger log = LoggerFactory.getLogger(TokenStore.class);
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private record Entry(String name, Set<String> roles, byte[] sha256) {}

  private record Loaded(List<Entry> entries, FileTime modified, long size) {}

  private final Path file;
  private final long checkEveryNanos;
  private volatile Loaded loaded;
  private volatile long lastCheck;

  public TokenStore(Path file, Duration checkEvery) {
    this.file = file;
    this.checkEveryNanos = checkEvery.toNanos();
    try {
      this.loaded = load(file);
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException("cannot read the tokens file " + file + ": " + e.getMessage());
    }
    this.lastCheck = System.nanoTime();
    log.info("{} bearer tokens from {}", loaded.entries().size(), file);
  }

  /** The principal a token names, or empty; every entry is compared, in constant time each. */
  public Optional<Principal> lookup(String token) {
    reloadIfChanged();
    byte[] digest = sha256(token.getBytes(StandardCharsets.UTF_8));
    Entry match = null;
    for (Entry e : loaded.entries()) {
      if (MessageDigest.isEqual(digest, e.sha256()) && match == null) {
        match = e;
      }
    }
    return match == null
        ? Optional.empty()
        : Optional.of(new Principal(match.name(), match.roles()));
  }

  public int size() {
    return loaded.entries().size();
  }

  private void reloadIfChanged() {
    long now = System.nanoTime();
    if (now - lastCheck < checkEveryNanos) {
      return;
    }
    synchronized (this) {
      if (now - lastCheck < checkEveryNanos) {
        return;
      }
      lastCheck = now;
      try {
        Loaded current = loaded;
        if (Files.getLastModifiedTime(file).equals(current.modified())
            && Files.size(file) == current.size()) {
          return;
        }
        loaded = load(file);
        log.info("tokens file {} changed: {} tokens", file, loaded.entries().size());
      } catch (IOException | IllegalArgumentException e) {
        log.error(
            "tokens file {} cannot be read, keeping the previous tokens: {}", file, e.getMessage());
      }
    }
  }

  private static Loaded load(Path file) throws IOException {
    // the time and size before the content: a write racing this read is seen again next check
    FileTime modified = Files.getLastModifiedTime(file);
    long size = Files.size(file);
    JsonNode root = YAML.readTree(file.toFile());
    JsonNode tokens = root == null ? null : root.get("tokens");
    if (tokens == null || !tokens.isArray()) {
      throw new IllegalArgumentException("expected a list under 'tokens:'");
    }
    List<Entry> entries = new ArrayList<>();
    for (JsonNode t : tokens) {
      String name = text(t, "name");
      if (t.get("sha256") != null && !t.get("sha256").isTextual()) {
        // YAML reads an unquoted all-digit hash as a number and loses its digits
        throw new IllegalArgumentException(
            "token '" + name + "': quote the sha256 value (\"...\")");
      }
      String hex = text(t, "sha256").toLowerCase(Locale.ROOT);
      if (!hex.matches("[0-9a-f]{64}")) {
        throw new IllegalArgumentException("token '" + name + "': sha256 must be 64 hex digits");
      }
      Set<String> roles = new LinkedHashSet<>();
      JsonNode r = t.get("roles");
      if (r == null || !r.isArray() || r.isEmpty()) {
        throw new IllegalArgumentException("token '" + name + "': roles must be a non-empty list");
      }
      for (JsonNode role : r) {
        if (!Roles.ALL.contains(role.asText())) {
          throw new IllegalArgumentException(
              "token '"
                  + name
                  + "': unknown role '"
                  + role.asText()
                  + "', expected one of "
                  + Roles.ALL);
        }
        roles.add(role.asText());
      }
      entries.add(new Entry(name, roles, HexFormat.of().parseHex(hex)));
    }
    return new Loaded(List.copyOf(entries), modified, size);
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.asText().isBlank()) {
      throw new IllegalArgumentException("every token needs '" + field + "'");
    }
    return v.asText().trim();
  }

  /** Hex SHA-256 of a token, as the tokens file stores it. */
  public static String sha256Hex(String token) {
    return HexFormat.of().formatHex(sha256(token.getBytes(StandardCharsets.UTF_8)));
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
