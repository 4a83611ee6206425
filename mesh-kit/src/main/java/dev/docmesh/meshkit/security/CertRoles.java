package dev.docmesh.meshkit.security;

import dev.docmesh.meshkit.config.ConfigException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Roles of mutual-TLS clients by certificate identity, from {@code DOCMESH_AUTH_CERT_ROLES}: {@code
 * identity=role[+role...]} pairs separated by commas, e.g. {@code worker=worker,
 * monitor=monitor,ops=operator+monitor}. The identity is the certificate's subject CN or one of its
 * DNS/URI SANs; the first identity with a mapping wins.
 */
public final class CertRoles {
  private final Map<String, Set<String>> byIdentity;

  private CertRoles(Map<String, Set<String>> byIdentity) {
    this.byIdentity = Map.copyOf(byIdentity);
  }

  public static CertRoles parse(String variable, String spec) {
    Map<String, Set<String>> out = new LinkedHashMap<>();
    for (String pair : spec.split(",")) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      if (eq <= 0 || eq == pair.length() - 1) {
        throw new ConfigException(variable + ": '" + pair.trim() + "' is not identity=role[+role]");
      }
      Set<String> roles = new LinkedHashSet<>();
      for (String role : pair.substring(eq + 1).split("\\+")) {
        if (!Roles.ALL.contains(role.trim())) {
          throw new ConfigException(
              variable + ": unknown role '" + role.trim() + "', expected one of " + Roles.ALL);
        }
        roles.add(role.trim());
      }
      out.put(pair.substring(0, eq).trim(), roles);
    }
    return new CertRoles(out);
  }

  public boolean isEmpty() {
    return byIdentity.isEmpty();
  }

  /** The principal of a verified client certificate, or empty when no identity of it is mapped. */
  public Optional<Principal> principalOf(X509Certificate cert) {
    for (String id : identities(cert)) {
      Set<String> roles = byIdentity.get(id);
      if (roles != null) {
        return Optional.of(new Principal(id, roles));
      }
    }
    return Optional.empty();
  }

  /** The subject CN first, then the DNS (2) and URI (6) subject alternative names. */
  static List<String> identities(X509Certificate cert) {
    List<String> ids = new ArrayList<>();
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if ("CN".equalsIgnoreCase(rdn.getType())) {
          ids.add(rdn.getValue().toString());
        }
      }
    } catch (InvalidNameException e) {
      // no usable subject: SANs may still name the client
    }
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          int type = (Integer) san.get(0);
          if (type == 2 || type == 6) {
            ids.add(san.get(1).toString());
          }
        }
      }
    } catch (CertificateParsingException e) {
      // unparsable SANs: the CN above is all we have
    }
    return ids;
  }
}
