package dev.docmesh.orchestrator.events;

import dev.docmesh.orchestrator.Failure;
import dev.docmesh.orchestrator.metrics.OrchestratorMetrics;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Hands committed events to the open watch streams. {@link #publish} runs once per commit, in
 * commit order (see GroupCommit), so every watcher sees a job's events in sequence order.
 */
public final class EventHub {
  private final Map<String, Set<JobWatcher>> byJob = new ConcurrentHashMap<>();
  private final List<FirehoseWatcher> firehose = new CopyOnWriteArrayList<>();
  private final OrchestratorMetrics metrics;

  public EventHub(OrchestratorMetrics metrics) {
    this.metrics = metrics;
  }

  public void add(JobWatcher w) {
    byJob.computeIfAbsent(w.jobId(), k -> ConcurrentHashMap.newKeySet()).add(w);
    metrics.watcherOpened();
  }

  public void remove(JobWatcher w) {
    Set<JobWatcher> set = byJob.get(w.jobId());
    if (set != null && set.remove(w)) {
      metrics.watcherClosed();
      byJob.computeIfPresent(w.jobId(), (k, v) -> v.isEmpty() ? null : v);
    }
  }

  public void add(FirehoseWatcher w) {
    firehose.add(w);
    metrics.watcherOpened();
  }

  public void remove(FirehoseWatcher w) {
    if (firehose.remove(w)) {
      metrics.watcherClosed();
    }
  }

  public boolean hasFirehose() {
    return !firehose.isEmpty();
  }

  /** {@code job} is the job right after the events (null when no firehose stream was open then). */
  public void publish(String jobId, Map<String, String> labels, List<JobEvent> events, Job job) {
    if (events.isEmpty()) {
      return;
    }
    Set<JobWatcher> watchers = byJob.get(jobId);
    if (watchers != null) {
      for (JobWatcher w : watchers) {
        w.offer(events);
      }
    }
    if (job != null) {
      for (FirehoseWatcher w : firehose) {
        if (!w.sees(job)) {
          continue;
        }
        for (JobEvent e : events) {
          if (w.wants(e, labels)) {
            w.offer(e, job);
          }
        }
      }
    }
  }

  /** Ends every stream (shutdown); clients reconnect to another replica or after restart. */
  public void closeAll() {
    byJob.values().forEach(set -> set.forEach(w -> w.close(stopping())));
    firehose.forEach(w -> w.close(stopping()));
  }

  private static Failure stopping() {
    return new Failure.Unavailable("orchestrator stopping", null);
  }
}
