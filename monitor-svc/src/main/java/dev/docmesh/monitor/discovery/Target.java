package dev.docmesh.monitor.discovery;

import dev.docmesh.meshkit.config.ConfigException;
import java.util.ArrayList;
import java.util.List;

/**
 * One configured target: {@code service=host:port} is one instance; {@code service=dns:name:port}
 * is every A/AAAA record of {@code name} (a headless Service in Kubernetes), re-resolved
 * periodically.
 */
public record Target(String service, String host, int port, boolean dns) {
  private static final String DNS = "dns:";

  /** Parses the comma-separated list of {@code DOCMESH_MONITOR_TARGETS}. */
  public static List<Target> parseList(String variable, String text) {
    List<Target> out = new ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        out.add(parse(variable, part.trim()));
      }
    }
    if (out.isEmpty()) {
      throw new ConfigException(variable + " names no target: expected service=host:port[,...]");
    }
    return List.copyOf(out);
  }

  static Target parse(String variable, String entry) {
    int eq = entry.indexOf('=');
    if (eq <= 0) {
      throw bad(variable, entry);
    }
    String service = entry.substring(0, eq).trim();
    String address = entry.substring(eq + 1).trim();
    boolean dns = address.startsWith(DNS);
    if (dns) {
      address = address.substring(DNS.length()).replaceFirst("^//+", "");
    }
    int colon = address.lastIndexOf(':');
    if (colon <= 0 || colon == address.length() - 1) {
      throw bad(variable, entry);
    }
    int port;
    try {
      port = Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw bad(variable, entry);
    }
    if (port < 1 || port > 65535) {
      throw bad(variable, entry);
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return new Target(service, host, port, dns);
  }

  private static ConfigException bad(String variable, String entry) {
    return new ConfigException(
        variable
            + " entry '"
            + entry
            + "' is not valid: expected service=host:port or service=dns:name:port");
  }
}
