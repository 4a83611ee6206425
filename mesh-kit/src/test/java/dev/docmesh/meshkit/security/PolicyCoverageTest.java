package dev.docmesh.meshkit.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Default deny made visible: every RPC of every service declared in proto/ must have an entry in
 * {@link Policy}, and every entry must name an RPC that exists. Read from the .proto sources, so a
 * new RPC fails this test until someone decides who may call it.
 */
class PolicyCoverageTest {
  private static final Path PROTO_ROOT = Path.of("..", "proto", "src", "main", "proto");
  private static final Pattern PACKAGE =
      Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
  private static final Pattern SERVICE =
      Pattern.compile("^service\\s+(\\w+)\\s*\\{(.*?)^\\}", Pattern.MULTILINE | Pattern.DOTALL);
  private static final Pattern RPC =
      Pattern.compile("^\\s*rpc\\s+(\\w+)\\s*\\(", Pattern.MULTILINE);

  static List<String> declaredRpcs() throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(PROTO_ROOT)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".proto")).toList()) {
        String text = Files.readString(f);
        Matcher pkg = PACKAGE.matcher(text);
        String prefix = pkg.find() ? pkg.group(1) + "." : "";
        Matcher service = SERVICE.matcher(text);
        while (service.find()) {
          Matcher rpc = RPC.matcher(service.group(2));
          while (rpc.find()) {
            out.add(prefix + service.group(1) + "/" + rpc.group(1));
          }
        }
      }
    }
    return out;
  }

  @Test
  void everyRpcInProtoHasAPolicyEntry() throws IOException {
    List<String> rpcs = declaredRpcs();
    assertThat(rpcs)
        .as("RPCs found under %s", PROTO_ROOT.toAbsolutePath())
        .hasSizeGreaterThanOrEqualTo(26);
    assertThat(rpcs.stream().filter(m -> Policy.ruleFor(m).isEmpty()))
        .as("RPCs without an entry in Policy: decide which roles may call them")
        .isEmpty();
    Policy.table()
        .values()
        .forEach(
            rule ->
                assertThat(rule)
                    .isInstanceOfSatisfying(
                        Policy.AnyOf.class, r -> assertThat(r.roles()).isNotEmpty()));
  }

  @Test
  void everyPolicyEntryNamesAnRpcThatExists() throws IOException {
    assertThat(declaredRpcs()).containsAll(Policy.table().keySet());
  }

  @Test
  void unknownRpcsAreRefusedAndHealthIsOpen() {
    assertThat(Policy.ruleFor("docmesh.orchestrator.v1.OrchestratorService/DeleteEverything"))
        .isEmpty();
    assertThat(Policy.ruleFor("grpc.health.v1.Health/Check")).containsInstanceOf(Policy.Open.class);
    assertThat(Policy.ruleFor("grpc.health.v1.Health/Watch")).containsInstanceOf(Policy.Open.class);
    assertThat(Policy.ruleFor("grpc.reflection.v1.ServerReflection/ServerReflectionInfo"))
        .containsInstanceOf(Policy.Authenticated.class);
  }
}
