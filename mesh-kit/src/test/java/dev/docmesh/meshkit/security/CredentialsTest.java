package dev.docmesh.meshkit.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.docmesh.meshkit.config.ConfigException;
import dev.docmesh.meshkit.testing.TestPki;
import dev.docmesh.meshkit.testing.TestTokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokens file, its reload, certificate role mapping and the ownership rule. */
class CredentialsTest {
  @TempDir Path dir;

  @Test
  void tokensAreFoundByTheirHashAndTheFileIsReReadWhenItChanges() throws Exception {
    Path file = dir.resolve("tokens.yaml");
    Map<String, String> first = TestTokens.write(file, Map.of("alice", List.of("client")));
    TokenStore store = new TokenStore(file, Duration.ofMillis(50));
    assertThat(store.lookup(first.get("alice"))).contains(new Principal("alice", Set.of("client")));
    assertThat(store.lookup(first.get("alice") + "x")).isEmpty();
    assertThat(Files.readString(file)).doesNotContain(first.get("alice"));

    Map<String, String> second =
        TestTokens.write(file, Map.of("bob", List.of("operator", "client")));
    await().atMost(Duration.ofSeconds(10)).until(() -> store.lookup(second.get("bob")).isPresent());
    assertThat(store.lookup(first.get("alice"))).isEmpty();

    // a broken file keeps the tokens in force
    TestPki.replace(file, "tokens: [ {name: x");
    await().pollDelay(Duration.ofMillis(200)).atMost(Duration.ofSeconds(10)).until(() -> true);
    assertThat(store.lookup(second.get("bob"))).isPresent();
  }

  @Test
  void aTokensFileWithAnUnknownRoleOrNoHashIsAConfigurationError() throws Exception {
    Path file = dir.resolve("bad.yaml");
    TestPki.replace(
        file, "tokens:\n  - name: a\n    roles: [admin]\n    sha256: \"" + "0".repeat(64) + "\"\n");
    assertThatThrownBy(() -> new TokenStore(file, Duration.ofSeconds(1)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown role 'admin'");
    TestPki.replace(file, "tokens:\n  - name: a\n    roles: [client]\n    token: plain\n");
    assertThatThrownBy(() -> new TokenStore(file, Duration.ofSeconds(1)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("sha256");
    TestPki.replace(
        file, "tokens:\n  - name: a\n    roles: [client]\n    sha256: " + "1".repeat(64) + "\n");
    assertThatThrownBy(() -> new TokenStore(file, Duration.ofSeconds(1)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("quote");
  }

  @Test
  void certificateIdentitiesMapToRolesByCnOrSan() throws Exception {
    TestPki pki = TestPki.create(dir, "ca");
    CertRoles roles = CertRoles.parse("V", "worker=worker, ops.docmesh.svc=operator+monitor");
    var cf = java.security.cert.CertificateFactory.getInstance("X.509");
    TestPki.Issued byCn = pki.issue("worker");
    TestPki.Issued bySan = pki.issueAs("opsfile", "someone", "ops.docmesh.svc");
    TestPki.Issued none = pki.issue("stranger");
    try (var a = Files.newInputStream(byCn.cert());
        var b = Files.newInputStream(bySan.cert());
        var c = Files.newInputStream(none.cert())) {
      assertThat(roles.principalOf((java.security.cert.X509Certificate) cf.generateCertificate(a)))
          .contains(new Principal("worker", Set.of("worker")));
      assertThat(roles.principalOf((java.security.cert.X509Certificate) cf.generateCertificate(b)))
          .contains(new Principal("ops.docmesh.svc", Set.of("operator", "monitor")));
      assertThat(roles.principalOf((java.security.cert.X509Certificate) cf.generateCertificate(c)))
          .isEmpty();
    }
    assertThatThrownBy(() -> CertRoles.parse("V", "worker")).isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> CertRoles.parse("V", "w=root")).isInstanceOf(ConfigException.class);
  }

  @Test
  void aClientSeesOnlyItsOwnJobsWhileOperatorAndMonitorSeeAll() {
    Principal alice = new Principal("alice", Set.of(Roles.CLIENT));
    assertThat(alice.mayAccessJobOf("alice")).isTrue();
    assertThat(alice.mayAccessJobOf("bob")).isFalse();
    assertThat(new Principal("ops", Set.of(Roles.OPERATOR)).mayAccessJobOf("bob")).isTrue();
    assertThat(new Principal("mon", Set.of(Roles.MONITOR)).mayAccessJobOf("bob")).isTrue();
    assertThat(Principal.ANONYMOUS.mayAccessJobOf("bob")).isTrue();
  }
}
