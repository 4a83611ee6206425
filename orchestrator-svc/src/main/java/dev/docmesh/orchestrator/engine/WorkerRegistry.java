package dev.docmesh.orchestrator.engine;

import dev.docmesh.orchestrator.model.Protos;
import dev.docmesh.proto.orchestrator.v1.WorkerInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Workers that polled recently, as they described themselves at their last poll (memory only). */
final class WorkerRegistry {
  static final Duration RECENT = Duration.ofMinutes(5);

  private record Seen(
      List<String> processors, int slotsTotal, int slotsBusy, Instant lastPoll, String peer) {}

  private final Map<String, Seen> workers = new ConcurrentHashMap<>();

  void polled(
      String workerId,
      List<String> processors,
      int slotsTotal,
      int slotsBusy,
      Instant now,
      String peer) {
    workers.put(workerId, new Seen(List.copyOf(processors), slotsTotal, slotsBusy, now, peer));
  }

  /** Sorted by id; {@code leases} counts the leases each worker holds now. */
  List<WorkerInfo> recent(Instant now, Map<String, Integer> leases) {
    workers.values().removeIf(s -> s.lastPoll.isBefore(now.minus(RECENT.multipliedBy(2))));
    return workers.entrySet().stream()
        .filter(e -> !e.getValue().lastPoll.isBefore(now.minus(RECENT)))
        .sorted(Map.Entry.comparingByKey())
        .map(
            e ->
                WorkerInfo.newBuilder()
                    .setWorkerId(e.getKey())
                    .addAllProcessors(e.getValue().processors)
                    .setSlotsTotal(e.getValue().slotsTotal)
                    .setSlotsBusy(e.getValue().slotsBusy)
                    .setLastPollTime(Protos.timestamp(e.getValue().lastPoll))
                    .setActiveLeases(leases.getOrDefault(e.getKey(), 0))
                    .setPeer(e.getValue().peer)
                    .build())
        .toList();
  }
}
