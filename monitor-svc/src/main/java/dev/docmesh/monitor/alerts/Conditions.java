package dev.docmesh.monitor.alerts;

import dev.docmesh.monitor.fleet.InstanceView;
import dev.docmesh.monitor.fleet.MeshView;
import dev.docmesh.monitor.fleet.Signals;
import dev.docmesh.monitor.metrics.Counters;
import dev.docmesh.monitor.metrics.Traffic;
import dev.docmesh.proto.monitor.v1.HealthState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;

/** The conditions a rule may name. */
public final class Conditions {
  private static final Map<String, Condition> BY_NAME = new TreeMap<>();

  static {
    BY_NAME.put("instance_down", Conditions::instanceDown);
    BY_NAME.put("no_healthy_instance", Conditions::noHealthyInstance);
    BY_NAME.put("error_rate", Conditions::errorRate);
    BY_NAME.put("latency_p99", Conditions::latencyP99);
    BY_NAME.put("queue_depth", (mesh, rule) -> orchestratorGauge(mesh, rule, Signals.QUEUE_DEPTH));
    BY_NAME.put(
        "queue_oldest_age",
        (mesh, rule) -> orchestratorGauge(mesh, rule, Signals.QUEUE_OLDEST_AGE));
    BY_NAME.put("no_worker_polling", Conditions::noWorkerPolling);
    BY_NAME.put("heap_usage", Conditions::heapUsage);
    BY_NAME.put("cpu_usage", Conditions::cpuUsage);
  }

  /** The worker calls that ask an orchestrator for a task. */
  private static final Set<String> ASKS_FOR_WORK = Set.of("PollTask", "CompleteTask");

  private Conditions() {}

  public static Condition byName(String name) {
    return BY_NAME.get(name);
  }

  public static Set<String> names() {
    return BY_NAME.keySet();
  }

  private static Map<String, String> instanceLabels(InstanceView i) {
    return Map.of("service", i.service(), "instance", i.address());
  }

  private static List<Observation> instanceDown(MeshView mesh, AlertRule rule) {
    List<Observation> out = new ArrayList<>();
    for (InstanceView i : mesh.instances()) {
      if (i.health() == HealthState.HEALTH_STATE_DOWN) {
        out.add(new Observation(instanceLabels(i), 1));
      }
    }
    return out;
  }

  private static List<Observation> noHealthyInstance(MeshView mesh, AlertRule rule) {
    List<Observation> out = new ArrayList<>();
    for (String service : mesh.services()) {
      List<InstanceView> instances = mesh.instances(service);
      // not known yet is no evidence: a fresh monitor must not page before the first answers
      // arrive; an instance that never answers is DOWN after DOCMESH_MONITOR_DOWN_AFTER anyway
      boolean anyServingOrUnknown =
          instances.stream()
              .anyMatch(
                  i ->
                      i.health() == HealthState.HEALTH_STATE_SERVING
                          || i.health() == HealthState.HEALTH_STATE_UNSPECIFIED);
      if (!anyServingOrUnknown) {
        out.add(new Observation(Map.of("service", service), 0));
      }
    }
    return out;
  }

  private static List<Observation> errorRate(MeshView mesh, AlertRule rule) {
    List<Observation> out = new ArrayList<>();
    for (String service : mesh.services()) {
      Traffic t = Signals.traffic(mesh.instances(service), rule.window());
      if (t.requests() > 0 && t.errorRate() > rule.threshold()) {
        out.add(new Observation(Map.of("service", service), t.errorRate()));
      }
    }
    return out;
  }

  private static List<Observation> latencyP99(MeshView mesh, AlertRule rule) {
    List<Observation> out = new ArrayList<>();
    for (String service : mesh.services()) {
      double p99 = Signals.traffic(mesh.instances(service), rule.window()).quantile(0.99);
      if (!Double.isNaN(p99) && p99 > rule.threshold()) {
        out.add(new Observation(Map.of("service", service), p99));
      }
    }
    return out;
  }

  private static List<Observation> orchestratorGauge(MeshView mesh, AlertRule rule, String gauge) {
    OptionalDouble v = Signals.gaugeMax(mesh.instances("orchestrator"), gauge, l -> true);
    if (v.isPresent() && v.getAsDouble() > rule.threshold()) {
      return List.of(new Observation(Map.of("service", "orchestrator"), v.getAsDouble()));
    }
    return List.of();
  }

  /**
   * No worker asked a serving orchestrator for work over the window: no {@code PollTask} and no
   * {@code CompleteTask} started (a busy worker's completion asks for its next task, so under a
   * steady backlog it may not poll at all). Judged only once the history covers the window: a
   * monitor that just started knows nothing yet.
   */
  private static List<Observation> noWorkerPolling(MeshView mesh, AlertRule rule) {
    List<InstanceView> serving =
        mesh.instances("orchestrator").stream()
            .filter(i -> i.health() == HealthState.HEALTH_STATE_SERVING)
            .toList();
    if (serving.isEmpty()) {
      return List.of();
    }
    double polls = 0;
    for (InstanceView o : serving) {
      var window = o.window(rule.window());
      if (Counters.seconds(window) < rule.window().toMillis() / 1000.0 * 0.9) {
        return List.of();
      }
      polls +=
          Counters.increase(
              window,
              "grpc_server_started_total",
              l -> ASKS_FOR_WORK.contains(l.get("grpc_method")));
    }
    return polls == 0 ? List.of(new Observation(Map.of("service", "orchestrator"), 0)) : List.of();
  }

  private static List<Observation> heapUsage(MeshView mesh, AlertRule rule) {
    List<Observation> out = new ArrayList<>();
    for (InstanceView i : mesh.instances()) {
      long max = Signals.heapMax(i);
      if (max > 0) {
        double used = (double) Signals.heapUsed(i) / max;
        if (used > rule.threshold()) {
          out.add(new Observation(instanceLabels(i), used));
        }
      }
    }
    return out;
  }

  private static List<Observation> cpuUsage(MeshView mesh, AlertRule rule) {
    List<Observation> out = new ArrayList<>();
    for (InstanceView i : mesh.instances()) {
      OptionalDouble cores = Signals.cpu(i.window(rule.window()));
      if (cores.isPresent() && cores.getAsDouble() > rule.threshold()) {
        out.add(new Observation(instanceLabels(i), cores.getAsDouble()));
      }
    }
    return out;
  }
}
