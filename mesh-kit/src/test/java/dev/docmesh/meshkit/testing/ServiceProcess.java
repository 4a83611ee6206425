package dev.docmesh.meshkit.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A service's {@code main} run as its own JVM, as a container or a shell starts it, with only the
 * environment the test gives: for what only a process shows, such as its exit code.
 */
public final class ServiceProcess {
  private ServiceProcess() {}

  public record Exit(int code, String stderr) {}

  /** Runs {@code mainClass} with {@code env} (nothing inherited from DOCMESH_*) until it exits. */
  public static Exit run(Class<?> mainClass, Map<String, String> env, Path workDir)
      throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(classPath());
    command.add(mainClass.getName());
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("DOCMESH_"));
    pb.environment().putAll(env);
    Path err = workDir.resolve(mainClass.getSimpleName() + ".stderr");
    pb.redirectError(err.toFile());
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    try {
      assertThat(p.waitFor(60, TimeUnit.SECONDS))
          .as("%s exited within 60 s", mainClass.getSimpleName())
          .isTrue();
    } finally {
      p.destroyForcibly();
    }
    return new Exit(p.exitValue(), Files.readString(err, StandardCharsets.UTF_8));
  }

  /**
   * Checks the README's promise: a bad DOCMESH_* value stops start-up with exit code 2 and a line
   * naming it.
   */
  public static void assertBadSettingExitsTwo(
      Class<?> mainClass, String variable, String badValue, Path workDir) throws Exception {
    Exit exit =
        run(
            mainClass,
            Map.of(variable, badValue, "DOCMESH_GRPC_PORT", "0", "DOCMESH_METRICS_PORT", "0"),
            workDir);
    assertThat(exit.code())
        .as(
            "exit code of %s with %s=%s; stderr: %s",
            mainClass.getSimpleName(), variable, badValue, exit.stderr())
        .isEqualTo(2);
    assertThat(exit.stderr())
        .contains("configuration error")
        .contains(variable)
        .contains(badValue)
        .doesNotContain("\tat ");
  }

  /** Surefire runs tests from a manifest-only jar; the real class path is in its own property. */
  private static String classPath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp == null || cp.isBlank() ? System.getProperty("java.class.path") : cp;
  }
}
