package dev.docmesh.orchestrator.engine;

import dev.docmesh.orchestrator.model.TaskRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The in-memory index of READY tasks the engine dispatches from (the store stays the truth; this is
 * rebuilt from it at start-up). Per processor, highest priority first, then the task that has
 * waited longest. Tasks still in retry backoff wait in {@code delayed} until due. Not thread-safe:
 * used under the engine's lock.
 */
final class ReadyQueue {
  // Keys are copied into the entry: the task's fields may change while the entry is indexed.
  private record Entry(
      TaskRecord task, int priority, Instant readySince, Instant delayedUntil, long order) {}

  private static final Comparator<Entry> DISPATCH_ORDER =
      Comparator.comparingInt((Entry e) -> -e.priority)
          .thenComparing(Entry::readySince)
          .thenComparingLong(Entry::order);

  private final Map<String, TreeSet<Entry>> byProcessor = new HashMap<>();
  private final Map<TaskRecord, Entry> entries = new HashMap<>();
  private final TreeMap<Instant, List<Entry>> delayed = new TreeMap<>();
  private long order;

  void add(TaskRecord t, int priority, Instant now) {
    remove(t);
    boolean later = t.readyAt().isAfter(now);
    Entry e = new Entry(t, priority, t.readySince(), later ? t.readyAt() : null, order++);
    entries.put(t, e);
    if (later) {
      delayed.computeIfAbsent(t.readyAt(), k -> new java.util.ArrayList<>()).add(e);
    } else {
      byProcessor.computeIfAbsent(t.processor(), k -> new TreeSet<>(DISPATCH_ORDER)).add(e);
    }
  }

  void remove(TaskRecord t) {
    Entry e = entries.remove(t);
    if (e == null) {
      return;
    }
    if (e.delayedUntil == null) {
      byProcessor.get(t.processor()).remove(e);
      return;
    }
    List<Entry> d = delayed.get(e.delayedUntil);
    d.remove(e);
    if (d.isEmpty()) {
      delayed.remove(e.delayedUntil);
    }
  }

  /** Takes the best dispatchable task among {@code processors}, or null. */
  TaskRecord poll(Collection<String> processors) {
    Entry best = null;
    for (String p : processors) {
      TreeSet<Entry> set = byProcessor.get(p);
      if (set != null
          && !set.isEmpty()
          && (best == null || DISPATCH_ORDER.compare(set.first(), best) < 0)) {
        best = set.first();
      }
    }
    if (best == null) {
      return null;
    }
    remove(best.task);
    return best.task;
  }

  /**
   * Tasks whose backoff ended by {@code now}, moved out of the delayed set (the caller re-adds or
   * dispatches them).
   */
  List<TaskRecord> takeDue(Instant now) {
    List<TaskRecord> due = new java.util.ArrayList<>();
    for (Iterator<Map.Entry<Instant, List<Entry>>> it =
            delayed.headMap(now, true).entrySet().iterator();
        it.hasNext(); ) {
      for (Entry e : it.next().getValue()) {
        entries.remove(e.task);
        due.add(e.task);
      }
      it.remove();
    }
    return due;
  }

  Map<String, Integer> depthByProcessor() {
    Map<String, Integer> out = new HashMap<>();
    for (Entry e : entries.values()) {
      out.merge(e.task.processor(), 1, Integer::sum);
    }
    return out;
  }

  Duration oldestAge(Instant now) {
    Instant oldest = null;
    for (TreeSet<Entry> set : byProcessor.values()) {
      for (Entry e : set) {
        if (oldest == null || e.readySince.isBefore(oldest)) {
          oldest = e.readySince;
        }
      }
    }
    return oldest == null || oldest.isAfter(now) ? Duration.ZERO : Duration.between(oldest, now);
  }
}
