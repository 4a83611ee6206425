package dev.docmesh.orchestrator.events;

import dev.docmesh.orchestrator.model.JobRecord;
import dev.docmesh.orchestrator.store.JobStore;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * One WatchJob stream. Events up to {@code storedUntil} come from the store (replay, and catch-up
 * after the reader fell behind); newer ones arrive live through {@link #offer}. The live queue is
 * bounded: when it overflows it is dropped and the store, which holds every event, takes over
 * again. While the reader is slow, a progress event replaces a queued progress event of the same
 * task and attempt; state changes are never merged.
 */
public final class JobWatcher extends ReadyDrivenStream<WatchJobResponse> {
  static final int MAX_QUEUED = 1024;
  private static final int STORE_BATCH = 256;

  private final String jobId;
  private final JobStore store;
  private final Runnable onClosed;
  private final ArrayDeque<JobEvent> live = new ArrayDeque<>();
  private final ArrayDeque<JobEvent> fromStore = new ArrayDeque<>();
  private long storedUntil;

  /** Sequence of the last event sent (drain thread only). */
  private long lastSent;

  public JobWatcher(
      StreamSink<WatchJobResponse> sink,
      Executor executor,
      String jobId,
      JobStore store,
      long afterSequence,
      long storedUntil,
      Runnable onClosed) {
    super(sink, executor);
    this.jobId = jobId;
    this.store = store;
    this.lastSent = afterSequence;
    this.storedUntil = storedUntil;
    this.onClosed = onClosed;
  }

  public String jobId() {
    return jobId;
  }

  /** Newly committed events of this job, in sequence order. */
  public void offer(List<JobEvent> events) {
    synchronized (this) {
      for (JobEvent e : events) {
        if (isStale(e, storedUntil)) {
          continue;
        }
        if (live.size() >= MAX_QUEUED) {
          live.clear();
          storedUntil = e.getSequence();
          continue;
        }
        JobEvent tail = live.peekLast();
        if (tail != null && sameTaskProgress(tail, e)) {
          live.pollLast();
        }
        live.addLast(e);
      }
    }
    drainHere();
  }

  /** Caught up with the store: what is left to send is in the live queue. */
  @Override
  protected boolean sendsWithoutBlocking() {
    synchronized (this) {
      return fromStore.isEmpty() && lastSent >= storedUntil;
    }
  }

  /**
   * Whether {@code e} comes no later than the stored event {@code sequence} (and so is replayed
   * from the store, or was sent). A progress event is not stored: it carries the sequence of the
   * stored event it follows, so it is stale only before that one.
   */
  static boolean isStale(JobEvent e, long sequence) {
    return e.hasTaskProgressed() ? e.getSequence() < sequence : e.getSequence() <= sequence;
  }

  static boolean sameTaskProgress(JobEvent a, JobEvent b) {
    return a.hasTaskProgressed()
        && b.hasTaskProgressed()
        && a.getTaskProgressed().getStage().equals(b.getTaskProgressed().getStage())
        && a.getTaskProgressed().getAttempt() == b.getTaskProgressed().getAttempt();
  }

  @Override
  protected WatchJobResponse next() {
    JobEvent e = nextEvent();
    if (e == null) {
      return null;
    }
    lastSent = e.getSequence();
    return WatchJobResponse.newBuilder().setEvent(e).build();
  }

  private JobEvent nextEvent() {
    if (fromStore.isEmpty()) {
      long until;
      synchronized (this) {
        until = storedUntil;
      }
      if (lastSent < until) {
        fromStore.addAll(store.events(jobId, lastSent, STORE_BATCH));
      }
    }
    if (!fromStore.isEmpty()) {
      return fromStore.pollFirst();
    }
    synchronized (this) {
      JobEvent e;
      while ((e = live.pollFirst()) != null) {
        if (!isStale(e, lastSent)) {
          return e;
        }
      }
    }
    return null;
  }

  @Override
  protected boolean isLast(WatchJobResponse m) {
    return isTerminal(m.getEvent());
  }

  static boolean isTerminal(JobEvent e) {
    return e.hasJobStateChanged() && JobRecord.isTerminal(e.getJobStateChanged().getTo());
  }

  @Override
  protected void onClosed() {
    onClosed.run();
  }
}
