package dev.docmesh.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The bench's mesh runs its orchestrator as the StatefulSet does: the same collector flags, and the
 * heap its JAVA_OPTS make of the container's memory limit.
 */
class DeployedOrchestratorJvmTest {
  private static final Pattern JAVA_OPTS =
      Pattern.compile("name: JAVA_OPTS\\s+value: \"([^\"]*)\"");
  private static final Pattern MEMORY_LIMIT = Pattern.compile("limits:\\s+memory: (\\d+)Mi");

  @Test
  void theBenchsOrchestratorFlagsAreTheStatefulSets() throws IOException {
    String manifest =
        Files.readString(GhzConfigsTest.ROOT.resolve("k8s/base/orchestrator/statefulset.yaml"));
    Matcher opts = JAVA_OPTS.matcher(manifest);
    assertThat(opts.find()).as("JAVA_OPTS in the StatefulSet").isTrue();
    List<String> deployed = Arrays.asList(opts.group(1).split("\\s+"));
    Matcher limit = MEMORY_LIMIT.matcher(manifest);
    assertThat(limit.find()).as("the container's memory limit").isTrue();

    assertThat(deployed).containsAll(flags(BenchMain.ORCHESTRATOR_GC));
    List<String> heap = flags(BenchMain.ORCHESTRATOR_HEAP);
    assertThat(heap).contains("-XX:MaxRAM=" + limit.group(1) + "m");
    assertThat(heap.stream().filter(f -> f.startsWith("-XX:MaxRAMPercentage=")))
        .singleElement()
        .satisfies(f -> assertThat(deployed).contains(f));
  }

  private static List<String> flags(String options) {
    return Arrays.asList(options.trim().split("\\s+"));
  }
}
