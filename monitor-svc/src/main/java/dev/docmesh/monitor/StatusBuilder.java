package dev.docmesh.monitor;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import dev.docmesh.monitor.fleet.InstanceView;
import dev.docmesh.monitor.fleet.MeshView;
import dev.docmesh.monitor.fleet.Signals;
import dev.docmesh.proto.monitor.v1.Alert;
import dev.docmesh.proto.monitor.v1.HealthState;
import dev.docmesh.proto.monitor.v1.InstanceStatus;
import dev.docmesh.proto.monitor.v1.ServiceStatus;
import dev.docmesh.proto.monitor.v1.SystemStatus;
import java.util.List;
import java.util.TreeSet;

/** Builds the {@link SystemStatus} from the mesh as it is now. */
final class StatusBuilder {
  private StatusBuilder() {}

  static SystemStatus build(MeshView mesh, List<Alert> firing, int activeJobs) {
    SystemStatus.Builder status =
        SystemStatus.newBuilder().setTime(Timestamps.fromMillis(mesh.now().toEpochMilli()));
    boolean allServing = true;
    for (String service : new TreeSet<>(mesh.services())) {
      List<InstanceView> instances = mesh.instances(service);
      ServiceStatus.Builder s = ServiceStatus.newBuilder().setName(service);
      boolean anyServing = false;
      for (InstanceView i : instances) {
        anyServing |= i.health() == HealthState.HEALTH_STATE_SERVING;
        s.addInstances(instance(i));
      }
      s.setHealth(serviceHealth(anyServing, instances));
      s.setSignals(Signals.recentTraffic(instances).toProto());
      allServing &= anyServing;
      status.addServices(s);
    }
    status.setHealth(
        allServing ? HealthState.HEALTH_STATE_SERVING : overall(status.getServicesList()));
    status.addAllActiveAlerts(firing);
    List<InstanceView> orchestrators = mesh.instances("orchestrator");
    status.setQueueDepth(
        (long) Signals.gaugeMax(orchestrators, Signals.QUEUE_DEPTH, l -> true).orElse(0));
    status.setQueueOldestAge(
        Durations.fromMillis(
            Math.round(
                Signals.gaugeMax(orchestrators, Signals.QUEUE_OLDEST_AGE, l -> true).orElse(0)
                    * 1000)));
    status.setActiveJobs(activeJobs);
    List<InstanceView> workers = mesh.instances("worker");
    status.setWorkerSlotsBusy(Signals.workerSlotsBusy(workers));
    status.setWorkerSlotsTotal(Signals.workerSlotsTotal(workers));
    return status.build();
  }

  private static InstanceStatus instance(InstanceView i) {
    return InstanceStatus.newBuilder()
        .setAddress(i.address())
        .setHealth(i.health())
        .setLastChangeTime(Timestamps.fromMillis(i.lastChange().toEpochMilli()))
        .setSignals(Signals.recentTraffic(List.of(i)).toProto())
        .setHeapUsedBytes(Signals.heapUsed(i))
        .setHeapMaxBytes(Signals.heapMax(i))
        .setCpuUsage(Signals.cpu(i.recent()).orElse(0))
        .setInstanceId(i.instanceId())
        .build();
  }

  /**
   * A service with no serving instance is DOWN when all are down (or it has none), else
   * NOT_SERVING.
   */
  private static HealthState serviceHealth(boolean anyServing, List<InstanceView> instances) {
    if (anyServing) {
      return HealthState.HEALTH_STATE_SERVING;
    }
    if (instances.stream().allMatch(i -> i.health() == HealthState.HEALTH_STATE_DOWN)) {
      return HealthState.HEALTH_STATE_DOWN;
    }
    boolean unknown =
        instances.stream().allMatch(i -> i.health() == HealthState.HEALTH_STATE_UNSPECIFIED);
    return unknown ? HealthState.HEALTH_STATE_UNSPECIFIED : HealthState.HEALTH_STATE_NOT_SERVING;
  }

  private static HealthState overall(List<ServiceStatus> services) {
    boolean anyDown =
        services.stream().anyMatch(s -> s.getHealth() == HealthState.HEALTH_STATE_DOWN);
    return anyDown ? HealthState.HEALTH_STATE_DOWN : HealthState.HEALTH_STATE_NOT_SERVING;
  }
}
