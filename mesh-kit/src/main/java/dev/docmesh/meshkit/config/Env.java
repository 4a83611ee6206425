package dev.docmesh.meshkit.config;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed access to configuration variables. Every reader fails fast with a {@link ConfigException}
 * naming the variable, the bad value and what was expected, so a typo in a Deployment shows up as
 * one clear line at start-up rather than a surprise later.
 */
public final class Env {
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
  private static final Pattern SIZE =
      Pattern.compile("(\\d+)\\s*(B|KB|KIB|K|MB|MIB|M|GB|GIB|G)?", Pattern.CASE_INSENSITIVE);

  private final Map<String, String> values;

  private Env(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  public static Env system() {
    return new Env(System.getenv());
  }

  public static Env of(Map<String, String> values) {
    return new Env(values);
  }

  /** Every variable whose name starts with {@code prefix} (e.g. "OTEL_"), with its value. */
  public Map<String, String> withPrefix(String prefix) {
    Map<String, String> found = new java.util.TreeMap<>();
    values.forEach(
        (k, v) -> {
          if (k.startsWith(prefix)) {
            found.put(k, v);
          }
        });
    return found;
  }

  /** The raw value, or empty when unset or blank. */
  public Optional<String> raw(String name) {
    String v = values.get(name);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
  }

  public String string(String name, String defaultValue) {
    return raw(name).orElse(defaultValue);
  }

  public boolean bool(String name, boolean defaultValue) {
    Optional<String> v = raw(name);
    if (v.isEmpty()) {
      return defaultValue;
    }
    return switch (v.get().toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw bad(name, v.get(), "true or false");
    };
  }

  public int integer(String name, int defaultValue, int min, int max) {
    Optional<String> v = raw(name);
    if (v.isEmpty()) {
      return defaultValue;
    }
    int parsed;
    try {
      parsed = Integer.parseInt(v.get());
    } catch (NumberFormatException e) {
      throw bad(name, v.get(), "a whole number");
    }
    if (parsed < min || parsed > max) {
      throw bad(name, v.get(), "a number from " + min + " to " + max);
    }
    return parsed;
  }

  /** A TCP port; 0 asks the OS for a free one. */
  public int port(String name, int defaultValue) {
    return integer(name, defaultValue, 0, 65535);
  }

  public double decimal(String name, double defaultValue, double min, double max) {
    Optional<String> v = raw(name);
    if (v.isEmpty()) {
      return defaultValue;
    }
    double parsed;
    try {
      parsed = Double.parseDouble(v.get());
    } catch (NumberFormatException e) {
      throw bad(name, v.get(), "a number");
    }
    if (Double.isNaN(parsed) || parsed < min || parsed > max) {
      throw bad(name, v.get(), "a number from " + min + " to " + max);
    }
    return parsed;
  }

  /**
   * A duration such as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, or ISO-8601
   * ({@code PT30S}).
   */
  public Duration duration(String name, Duration defaultValue) {
    Optional<String> v = raw(name);
    if (v.isEmpty()) {
      return defaultValue;
    }
    Duration parsed = parseDuration(v.get());
    if (parsed == null) {
      throw bad(name, v.get(), "a duration such as 500ms, 30s, 5m, 2h or PT30S");
    }
    if (parsed.isNegative()) {
      throw bad(name, v.get(), "a duration that is not negative");
    }
    return parsed;
  }

  /**
   * A size in bytes such as {@code 1048576}, {@code 64KiB}, {@code 4MiB}, {@code 1GiB} (K/M/G are
   * binary).
   */
  public long bytes(String name, long defaultValue, long min, long max) {
    Optional<String> v = raw(name);
    if (v.isEmpty()) {
      return defaultValue;
    }
    Matcher m = SIZE.matcher(v.get());
    if (!m.matches()) {
      throw bad(name, v.get(), "a size such as 1048576, 64KiB, 4MiB or 1GiB");
    }
    long unit =
        switch (m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT)) {
          case "KB", "KIB", "K" -> 1024L;
          case "MB", "MIB", "M" -> 1024L * 1024;
          case "GB", "GIB", "G" -> 1024L * 1024 * 1024;
          default -> 1L;
        };
    long parsed;
    try {
      parsed = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
    } catch (ArithmeticException | NumberFormatException e) {
      throw bad(name, v.get(), "a size below " + max + " bytes");
    }
    if (parsed < min || parsed > max) {
      throw bad(name, v.get(), "a size from " + min + " to " + max + " bytes");
    }
    return parsed;
  }

  public Path path(String name, Path defaultValue) {
    return raw(name).map(Path::of).orElse(defaultValue);
  }

  static Duration parseDuration(String text) {
    String t = text.trim();
    if (t.startsWith("P") || t.startsWith("p")) {
      try {
        return Duration.parse(t);
      } catch (DateTimeParseException e) {
        return null;
      }
    }
    Matcher m = DURATION.matcher(t);
    if (!m.matches()) {
      return null;
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  private static ConfigException bad(String name, String value, String expected) {
    return new ConfigException(name + "='" + value + "' is not valid: expected " + expected);
  }
}
