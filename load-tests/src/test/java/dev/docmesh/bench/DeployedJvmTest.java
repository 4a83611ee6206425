package dev.docmesh.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The bench runs each service with the JVM its manifest gives it: the container's JAVA_OPTS, and
 * the memory limit as the RAM the JVM sizes its heap from.
 */
class DeployedJvmTest {
  private static final Pattern JAVA_OPTS =
      Pattern.compile("name: JAVA_OPTS\\s+value: \"([^\"]*)\"");
  private static final Pattern MEMORY_LIMIT =
      Pattern.compile("limits:\\s+(?:cpu: \"?\\w+\"?\\s+)?memory: (\\d+)Mi");

  @ParameterizedTest
  @CsvSource({
    "orchestrator, k8s/base/orchestrator/statefulset.yaml",
    "processor, k8s/base/processor/deployment.yaml",
    "worker, k8s/base/worker/deployment.yaml"
  })
  void theBenchRunsEachServiceWithItsManifestsJvm(String service, String manifestPath)
      throws IOException {
    String manifest = Files.readString(GhzConfigsTest.ROOT.resolve(manifestPath));
    Matcher opts = JAVA_OPTS.matcher(manifest);
    assertThat(opts.find()).as("JAVA_OPTS in " + manifestPath).isTrue();
    Matcher limit = MEMORY_LIMIT.matcher(manifest);
    assertThat(limit.find()).as("the container's memory limit in " + manifestPath).isTrue();

    List<String> expected = new java.util.ArrayList<>(flags(opts.group(1)));
    expected.add("-XX:MaxRAM=" + limit.group(1) + "m");
    assertThat(flags(DeployedJvm.options(service))).containsExactlyInAnyOrderElementsOf(expected);
  }

  private static List<String> flags(String options) {
    return Arrays.asList(options.trim().split("\\s+"));
  }
}
