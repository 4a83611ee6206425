package dev.docmesh.monitor.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.docmesh.meshkit.config.ConfigException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiscoveryTest {
  @Test
  void parsesStaticAndDnsTargets() {
    List<Target> targets =
        Target.parseList(
            "V",
            "orchestrator=localhost:50051, processor=dns:processor-headless:50052,worker=dns:///w:1,x=[::1]:9");

    assertThat(targets)
        .containsExactly(
            new Target("orchestrator", "localhost", 50051, false),
            new Target("processor", "processor-headless", 50052, true),
            new Target("worker", "w", 1, true),
            new Target("x", "::1", 9, false));
    assertThat(new InstanceKey("x", "::1", 9).address()).isEqualTo("[::1]:9");
  }

  @Test
  void badTargetsFailWithTheVariableNamed() {
    for (String bad :
        new String[] {"", "localhost:1", "a=localhost", "a=localhost:x", "a=localhost:0", "=h:1"}) {
      assertThatThrownBy(() -> Target.parseList("DOCMESH_MONITOR_TARGETS", bad))
          .as(bad)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("DOCMESH_MONITOR_TARGETS");
    }
  }

  @Test
  void everyAddressOfADnsNameIsAnInstanceAndInstancesComeAndGo() throws Exception {
    List<List<InetAddress>> answers = new ArrayList<>();
    answers.add(List.of(ip("10.0.0.1"), ip("10.0.0.2")));
    Discovery d =
        new Discovery(
            Target.parseList(
                "V", "orchestrator=localhost:50051,processor=dns:processor-headless:50052"),
            host -> {
              assertThat(host).isEqualTo("processor-headless");
              if (answers.isEmpty()) {
                throw new UnknownHostException(host);
              }
              return answers.get(0);
            });

    assertThat(d.resolve())
        .containsExactlyInAnyOrder(
            new InstanceKey("orchestrator", "localhost", 50051),
            new InstanceKey("processor", "10.0.0.1", 50052),
            new InstanceKey("processor", "10.0.0.2", 50052));

    answers.set(0, List.of(ip("10.0.0.2"), ip("10.0.0.3")));
    assertThat(d.resolve())
        .contains(new InstanceKey("processor", "10.0.0.3", 50052))
        .doesNotContain(new InstanceKey("processor", "10.0.0.1", 50052));

    answers.clear(); // DNS hiccup: keep what was known
    assertThat(d.resolve()).hasSize(3).contains(new InstanceKey("processor", "10.0.0.3", 50052));
    assertThat(d.services()).containsExactly("orchestrator", "processor");
  }

  private static InetAddress ip(String text) throws UnknownHostException {
    return InetAddress.getByName(text);
  }
}
