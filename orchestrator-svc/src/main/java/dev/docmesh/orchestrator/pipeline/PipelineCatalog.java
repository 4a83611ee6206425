package dev.docmesh.orchestrator.pipeline;

import dev.docmesh.meshkit.config.ConfigException;
import dev.docmesh.orchestrator.Failure;
import dev.docmesh.orchestrator.OrchestratorConfig;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pipelines jobs may name and the processors stages may use: the configured ones plus any
 * processor a polling worker has announced (kept in memory; workers announce again on every poll).
 */
public final class PipelineCatalog {
  private final Map<String, Pipeline> pipelines;
  private final Map<String, List<dev.docmesh.proto.orchestrator.v1.Stage>> stages =
      new java.util.HashMap<>();
  private final Set<String> knownProcessors = ConcurrentHashMap.newKeySet();

  private PipelineCatalog(Map<String, Pipeline> pipelines, Collection<String> known) {
    this.pipelines = pipelines;
    this.knownProcessors.addAll(known);
    // the order is worked out once, not at every submit that names the pipeline
    pipelines.forEach(
        (name, p) -> stages.put(name, List.copyOf(PipelineValidator.validate(p, name, x -> true))));
  }

  /**
   * Built-ins, then the file's pipelines (which may replace a built-in of the same name); all
   * validated.
   */
  public static PipelineCatalog load(OrchestratorConfig config) {
    List<Pipeline> configured = config.pipelinesFile().map(PipelineYaml::read).orElse(List.of());
    Map<String, Pipeline> byName = new TreeMap<>();
    byName.put(BuiltInPipelines.PDF_STANDARD, BuiltInPipelines.pdfStandard());
    Set<String> fromFile = new java.util.HashSet<>();
    for (int i = 0; i < configured.size(); i++) {
      Pipeline p = configured.get(i);
      String where = "pipelines[" + i + "]";
      try {
        PipelineValidator.validate(p, where, config.knownProcessors()::contains);
      } catch (Failure.InvalidArgument e) {
        throw new ConfigException(
            "DOCMESH_PIPELINES_FILE=" + config.pipelinesFile().get() + ": " + e.getMessage());
      }
      if (!fromFile.add(p.getName())) {
        throw new ConfigException(
            "DOCMESH_PIPELINES_FILE="
                + config.pipelinesFile().get()
                + ": "
                + where
                + ".name: duplicate pipeline '"
                + p.getName()
                + "'");
      }
      byName.put(p.getName(), p);
    }
    for (Pipeline p : byName.values()) {
      try {
        PipelineValidator.validate(
            p, "pipelines[" + p.getName() + "]", config.knownProcessors()::contains);
      } catch (Failure.InvalidArgument e) {
        throw new ConfigException(
            "pipeline "
                + p.getName()
                + ": "
                + e.getMessage()
                + " (is DOCMESH_KNOWN_PROCESSORS missing a processor?)");
      }
    }
    return new PipelineCatalog(Map.copyOf(byName), config.knownProcessors());
  }

  public boolean isKnownProcessor(String processor) {
    return knownProcessors.contains(processor);
  }

  public void announce(Collection<String> processors) {
    knownProcessors.addAll(processors);
  }

  /** A configured pipeline by name; an unknown name is INVALID_ARGUMENT on {@code field}. */
  public Pipeline get(String name, String field) {
    Pipeline p = pipelines.get(name);
    if (p == null) {
      throw new Failure.InvalidArgument(
          field, "unknown pipeline '" + name + "' (see ListPipelines)");
    }
    return p;
  }

  /** The stages of a configured pipeline in topological order; unknown: as {@link #get}. */
  public List<dev.docmesh.proto.orchestrator.v1.Stage> stages(String name, String field) {
    get(name, field);
    return stages.get(name);
  }

  public List<Pipeline> all() {
    return new TreeMap<>(pipelines).values().stream().toList();
  }

  /**
   * Validates a pipeline given in a request with the processors known right now; stages in
   * topological order.
   */
  public List<dev.docmesh.proto.orchestrator.v1.Stage> validate(Pipeline p, String field) {
    return PipelineValidator.validate(p, field, this::isKnownProcessor);
  }
}
