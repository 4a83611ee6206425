package dev.docmesh.orchestrator.pipeline;

import dev.docmesh.orchestrator.Failure;
import dev.docmesh.orchestrator.Ids;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.RetryPolicy;
import dev.docmesh.proto.orchestrator.v1.Stage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Checks a pipeline is a runnable DAG. Every problem is an INVALID_ARGUMENT whose BadRequest names
 * the offending field under {@code fieldPrefix}, e.g. {@code inline_pipeline.stages[2].after[0]}.
 */
public final class PipelineValidator {
  private static final Pattern PIPELINE_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  private PipelineValidator() {}

  /** Returns the stages in topological order (stable: the declared order among ready ones). */
  public static List<Stage> validate(
      Pipeline p, String fieldPrefix, Predicate<String> knownProcessor) {
    if (!PIPELINE_NAME.matcher(p.getName()).matches()) {
      throw new Failure.InvalidArgument(
          fieldPrefix + ".name", "lowercase letters, digits and '-', 1 to 63 characters");
    }
    if (p.getStagesCount() == 0) {
      throw new Failure.InvalidArgument(
          fieldPrefix + ".stages", "a pipeline needs at least one stage");
    }
    Map<String, Integer> index = new LinkedHashMap<>();
    for (int i = 0; i < p.getStagesCount(); i++) {
      Stage s = p.getStages(i);
      String f = fieldPrefix + ".stages[" + i + "]";
      if (!Ids.isStageName(s.getName())) {
        throw new Failure.InvalidArgument(
            f + ".name", "lowercase letters, digits, '-' and '_', 1 to 63 characters");
      }
      if (index.putIfAbsent(s.getName(), i) != null) {
        throw new Failure.InvalidArgument(f + ".name", "duplicate stage '" + s.getName() + "'");
      }
      if (s.getProcessor().isEmpty()) {
        throw new Failure.InvalidArgument(f + ".processor", "required");
      }
      if (!knownProcessor.test(s.getProcessor())) {
        throw new Failure.InvalidArgument(
            f + ".processor", "unknown processor '" + s.getProcessor() + "'");
      }
      checkRetry(s, f);
    }
    for (int i = 0; i < p.getStagesCount(); i++) {
      Stage s = p.getStages(i);
      Set<String> seen = new HashSet<>();
      for (int j = 0; j < s.getAfterCount(); j++) {
        String dep = s.getAfter(j);
        String f = fieldPrefix + ".stages[" + i + "].after[" + j + "]";
        if (!index.containsKey(dep)) {
          throw new Failure.InvalidArgument(f, "no stage named '" + dep + "'");
        }
        if (dep.equals(s.getName()) || !seen.add(dep)) {
          throw new Failure.InvalidArgument(
              f,
              dep.equals(s.getName())
                  ? "a stage cannot run after itself"
                  : "'" + dep + "' listed twice");
        }
      }
    }
    return topologicalOrder(p, index, fieldPrefix);
  }

  private static void checkRetry(Stage s, String f) {
    if (s.hasTimeout()
        && (s.getTimeout().getSeconds() < 0
            || (s.getTimeout().getSeconds() == 0 && s.getTimeout().getNanos() <= 0))) {
      throw new Failure.InvalidArgument(f + ".timeout", "must be positive");
    }
    if (!s.hasRetry()) {
      return;
    }
    RetryPolicy r = s.getRetry();
    if (r.getMaxAttempts() < 0 || r.getMaxAttempts() > 100) {
      throw new Failure.InvalidArgument(f + ".retry.max_attempts", "0 (default) to 100");
    }
    if (r.getBackoffMultiplier() != 0
        && (r.getBackoffMultiplier() < 1 || r.getBackoffMultiplier() > 100)) {
      throw new Failure.InvalidArgument(f + ".retry.backoff_multiplier", "0 (default) or 1 to 100");
    }
    if (r.getInitialBackoff().getSeconds() < 0 || r.getMaxBackoff().getSeconds() < 0) {
      throw new Failure.InvalidArgument(f + ".retry", "backoffs must not be negative");
    }
  }

  /** Kahn's algorithm; whatever is left over sits on a cycle. */
  private static List<Stage> topologicalOrder(
      Pipeline p, Map<String, Integer> index, String fieldPrefix) {
    Map<String, Integer> missing = new HashMap<>();
    for (Stage s : p.getStagesList()) {
      missing.put(s.getName(), s.getAfterCount());
    }
    List<Stage> order = new ArrayList<>();
    Set<String> done = new HashSet<>();
    boolean progress = true;
    while (progress) {
      progress = false;
      for (Stage s : p.getStagesList()) {
        if (!done.contains(s.getName()) && done.containsAll(s.getAfterList())) {
          done.add(s.getName());
          order.add(s);
          progress = true;
        }
      }
    }
    if (order.size() < p.getStagesCount()) {
      for (Stage s : p.getStagesList()) {
        if (!done.contains(s.getName())) {
          throw cycle(fieldPrefix, index.get(s.getName()), s.getName());
        }
      }
    }
    return order;
  }

  private static Failure.InvalidArgument cycle(String prefix, int i, String stage) {
    return new Failure.InvalidArgument(
        prefix + ".stages[" + i + "].after", "stage '" + stage + "' is on a dependency cycle");
  }
}
