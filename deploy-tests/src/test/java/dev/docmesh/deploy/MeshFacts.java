package dev.docmesh.deploy;

import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.server.MeshServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** What the services themselves say: the variables they read and the health names they register. */
final class MeshFacts {
  static final List<String> SERVICES = List.of("orchestrator", "processor", "worker", "monitor");
  private static final Pattern VARIABLE = Pattern.compile("\"(DOCMESH_[A-Z0-9_]+)\"");
  private static final Map<String, Set<String>> HEALTH_NAMES = new HashMap<>();

  private MeshFacts() {}

  /** Every DOCMESH_* the service's code (and mesh-kit's) reads, from the sources. */
  static Set<String> variablesRead(String service) {
    Set<String> out = new TreeSet<>();
    for (Path dir :
        List.of(
            Manifests.root().resolve(service + "-svc/src/main/java"),
            Manifests.root().resolve("mesh-kit/src/main/java"))) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          Matcher m = VARIABLE.matcher(Files.readString(f));
          while (m.find()) {
            out.add(m.group(1));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  /**
   * The names the service's health service answers SERVING for: "" and every service it registers.
   */
  static synchronized Set<String> healthNames(String service) {
    return HEALTH_NAMES.computeIfAbsent(service, MeshFacts::startAndAsk);
  }

  private static Set<String> startAndAsk(String service) {
    Map<String, String> env = new HashMap<>();
    env.put("DOCMESH_GRPC_PORT", "0");
    env.put("DOCMESH_METRICS_PORT", "0");
    env.put("DOCMESH_LOG_LEVEL", "WARN");
    Function<Env, MeshServer> start =
        switch (service) {
          case "orchestrator" -> {
            try {
              env.put("DOCMESH_DATA_DIR", Files.createTempDirectory("orch").toString());
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            yield dev.docmesh.orchestrator.OrchestratorMain::start;
          }
          case "processor" -> dev.docmesh.processor.ProcessorMain::start;
          case "worker" -> {
            env.put("DOCMESH_ORCHESTRATOR_TARGET", "dns:///127.0.0.1:9");
            env.put("DOCMESH_PROCESSOR_TARGET", "dns:///127.0.0.1:9");
            yield dev.docmesh.worker.WorkerMain::start;
          }
          case "monitor" -> {
            env.put("DOCMESH_MONITOR_TARGETS", "orchestrator=127.0.0.1:9");
            env.put("DOCMESH_MONITOR_JOBS_TARGET", "off");
            yield dev.docmesh.monitor.MonitorMain::start;
          }
          default -> throw new IllegalArgumentException(service);
        };
    try (MeshServer server = start.apply(Env.of(env))) {
      Set<String> names = new TreeSet<>(server.serviceNames());
      names.add("");
      return names;
    }
  }
}
