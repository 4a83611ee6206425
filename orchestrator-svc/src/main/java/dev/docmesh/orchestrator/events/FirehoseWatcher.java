package dev.docmesh.orchestrator.events;

import dev.docmesh.orchestrator.Failure;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.WatchJobsResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * One WatchJobs stream: live events of all jobs that match the filter, each with its job. Live
 * only, so what the reader has not taken waits in a bounded queue; a queued progress event is
 * replaced by a newer one of the same task. A reader so slow that state changes alone overflow the
 * queue is cut off with RESOURCE_EXHAUSTED rather than buffered without bound (state changes are
 * never dropped silently); the status says how to resume.
 */
public final class FirehoseWatcher extends ReadyDrivenStream<WatchJobsResponse> {
  /** The default of DOCMESH_WATCH_MAX_QUEUED. */
  public static final int DEFAULT_MAX_QUEUED = 10_000;

  private final int maxQueued;
  private final Set<JobState> states;
  private final Map<String, String> labels;
  private final boolean includeProgress;
  private final Optional<String> owner;
  private final Runnable onClosed;
  private final ArrayDeque<WatchJobsResponse> queue = new ArrayDeque<>();

  /**
   * {@code maxQueued}: messages the reader may fall behind before it is cut off
   * (DOCMESH_WATCH_MAX_QUEUED).
   */
  public FirehoseWatcher(
      StreamSink<WatchJobsResponse> sink,
      Executor executor,
      Filter filter,
      int maxQueued,
      Runnable onClosed) {
    super(sink, executor);
    this.maxQueued = maxQueued;
    this.states = Set.copyOf(filter.states());
    this.labels = Map.copyOf(filter.labels());
    this.includeProgress = filter.includeProgress();
    this.owner = filter.owner();
    this.onClosed = onClosed;
  }

  /**
   * Which events a WatchJobs stream wants: job states (none: all), labels the job must carry,
   * progress or not, and only the jobs of {@code owner} when present (a caller that does not see
   * all jobs).
   */
  public record Filter(
      Collection<JobState> states,
      Map<String, String> labels,
      boolean includeProgress,
      Optional<String> owner) {}

  /** False for a job of another owner than the one the stream is restricted to. */
  boolean sees(Job job) {
    return owner.isEmpty() || owner.get().equals(job.getOwner());
  }

  boolean wants(JobEvent e, Map<String, String> jobLabels) {
    if (e.hasTaskProgressed() && !includeProgress) {
      return false;
    }
    if (!states.isEmpty() && !states.contains(e.getJobState())) {
      return false;
    }
    for (Map.Entry<String, String> l : labels.entrySet()) {
      if (!l.getValue().equals(jobLabels.get(l.getKey()))) {
        return false;
      }
    }
    return true;
  }

  void offer(JobEvent e, Job job) {
    boolean overflow;
    synchronized (this) {
      WatchJobsResponse tail = queue.peekLast();
      if (tail != null
          && tail.getEvent().getJobId().equals(e.getJobId())
          && JobWatcher.sameTaskProgress(tail.getEvent(), e)) {
        queue.pollLast();
      }
      queue.addLast(WatchJobsResponse.newBuilder().setEvent(e).setJob(job).build());
      overflow = queue.size() > maxQueued;
      if (overflow) {
        queue.clear();
      }
    }
    if (overflow) {
      // WatchJobs is live only (no position to resume from): the reader catches up on the state of
      // every job with ListJobs, then subscribes again; WatchJob(after_sequence) replays one job's
      // history.
      close(
          Failure.Backlog.watcherTooSlow(
              "the stream fell more than "
                  + maxQueued
                  + " events behind (DOCMESH_WATCH_MAX_QUEUED) and was ended; to resume, call WatchJobs again, then ListJobs"
                  + " to re-read the jobs' states missed meanwhile (or WatchJob with after_sequence per job)",
              Duration.ofSeconds(1),
              Map.of("max_queued", Integer.toString(maxQueued), "resume", "WatchJobs+ListJobs")));
      return;
    }
    drain();
  }

  @Override
  protected synchronized WatchJobsResponse next() {
    return queue.pollFirst();
  }

  @Override
  protected boolean isLast(WatchJobsResponse m) {
    return false;
  }

  @Override
  protected void onClosed() {
    onClosed.run();
  }
}
