package dev.docmesh.orchestrator.engine;

import com.google.protobuf.ByteString;
import dev.docmesh.orchestrator.Failure;
import dev.docmesh.orchestrator.Ids;
import dev.docmesh.orchestrator.OrchestratorConfig;
import dev.docmesh.orchestrator.metrics.OrchestratorMetrics;
import dev.docmesh.orchestrator.metrics.OrchestratorMetrics.QueueSnapshot;
import dev.docmesh.orchestrator.model.JobRecord;
import dev.docmesh.orchestrator.model.Protos;
import dev.docmesh.orchestrator.model.TaskRecord;
import dev.docmesh.orchestrator.store.JobStore;
import dev.docmesh.proto.orchestrator.v1.FollowOn;
import dev.docmesh.proto.orchestrator.v1.JobError;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import dev.docmesh.proto.orchestrator.v1.WorkerInfo;
import dev.docmesh.proto.relay.v1.OpaqueTask;
import dev.docmesh.proto.relay.v1.OpaqueUpstreamOutput;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Hands READY tasks to workers: a task that becomes dispatchable goes to the longest-waiting parked
 * poller that can run it, else into the {@link ReadyQueue}; a poll takes the best queued task or
 * parks. A lease is answered only once committed durably; a task whose poller left before the
 * answer reached it is handed back at once. Runs under the engine's lock ({@code lock}).
 */
final class Dispatcher {
  /**
   * Answer a long poll this long before the client's deadline, so the empty answer arrives in time.
   */
  private static final Duration DEADLINE_MARGIN = Duration.ofMillis(500);

  private final Object lock;
  private final OrchestratorConfig config;
  private final JobStore store;
  private final JobTable jobs;
  private final Committer committer;
  private final OrchestratorMetrics metrics;
  private final Clock clock;
  private final ScheduledExecutorService timer;
  private final ReadyQueue ready;
  private final List<PollWaiter> waiters = new ArrayList<>();
  private final WorkerRegistry workers = new WorkerRegistry();

  /** Several replicas (postgres): tasks are claimed in the store before they are leased. */
  private ReplicaSync replicas;

  Dispatcher(
      Object lock,
      OrchestratorConfig config,
      JobStore store,
      JobTable jobs,
      Committer committer,
      ReadyQueue ready,
      OrchestratorMetrics metrics,
      Clock clock,
      ScheduledExecutorService timer) {
    this.lock = lock;
    this.config = config;
    this.store = store;
    this.jobs = jobs;
    this.committer = committer;
    this.ready = ready;
    this.metrics = metrics;
    this.clock = clock;
    this.timer = timer;
  }

  void replicated(ReplicaSync replicas) {
    this.replicas = replicas;
  }

  /**
   * Answers now with the best READY task, or parks the call until one is ready or {@code wait} ends
   * (zero: answers now either way).
   */
  void poll(
      String workerId,
      List<String> processors,
      Duration wait,
      int slotsTotal,
      int slotsBusy,
      int maxFollowOns,
      String peer,
      Instant callDeadline,
      PollReply reply) {
    Instant now = clock.instant();
    if (callDeadline != null) {
      Duration untilDeadline = Duration.between(now, callDeadline).minus(DEADLINE_MARGIN);
      if (untilDeadline.compareTo(wait) < 0) {
        wait = untilDeadline.isNegative() ? Duration.ZERO : untilDeadline;
      }
    }
    workers.polled(workerId, processors, slotsTotal, slotsBusy, now, peer);
    PollWaiter w = new PollWaiter(workerId, Set.copyOf(processors), maxFollowOns, reply);
    reply.onGone(
        () -> {
          synchronized (lock) {
            waiters.remove(w);
          }
          w.cancelTimeout();
        });
    synchronized (lock) {
      try {
        TaskRecord t = next(processors, now);
        if (t != null) {
          deliver(jobs.active(t.jobId()), t, w, now);
        } else if (wait.isZero()) {
          w.answer(null);
        } else {
          waiters.add(w);
          w.timeout = timer.schedule(() -> giveUp(w), wait.toNanos(), TimeUnit.NANOSECONDS);
        }
      } finally {
        if (replicas != null) {
          replicas.releaseClaim();
        }
      }
    }
    // A delivered task is answered now; its events are published once a background fsync covers
    // them.
    committer.runCommitted();
    committer.syncSoon();
  }

  /**
   * The best READY task for a poll, out of the index: memory's choice with one writer; with several
   * replicas the store's claim, so two replicas racing for the head of the queue get two tasks.
   */
  private TaskRecord next(java.util.Collection<String> processors, Instant now) {
    if (replicas == null) {
      return ready.poll(processors);
    }
    TaskRecord t = replicas.claimNext(processors, now);
    if (t != null) {
      ready.remove(t);
      return t;
    }
    // Memory's choice, claimed by its job's version, for what the store's index does not show
    // (tasks.ready of rows written by a replica older than the claims, during a rolling update).
    // A task another replica holds is dropped from the index: its commit's notification re-adds
    // what is still READY.
    t = ready.poll(processors);
    return t != null && replicas.claim(jobs.active(t.jobId()), t) ? t : null;
  }

  private void giveUp(PollWaiter w) {
    synchronized (lock) {
      if (waiters.remove(w)) {
        w.answer(null);
      }
    }
  }

  /**
   * A task just became dispatchable: to the longest-waiting poller that can run it, else into the
   * index.
   */
  void dispatch(JobRecord job, TaskRecord t, Instant now) {
    if (t.readyAt().isAfter(now)) {
      ready.add(t, job.priority(), now);
      return;
    }
    for (Iterator<PollWaiter> it = waiters.iterator(); it.hasNext(); ) {
      PollWaiter w = it.next();
      if (w.isGone()) {
        it.remove();
        w.cancelTimeout();
        continue;
      }
      if (w.processors.contains(t.processor())) {
        if (replicas != null && !replicas.claim(job, t)) {
          break; // another replica holds it; it stays indexed until the store says otherwise
        }
        it.remove();
        w.cancelTimeout();
        deliver(job, t, w, now);
        return;
      }
    }
    ready.add(t, job.priority(), now);
  }

  /** READY tasks whose backoff ended by {@code now} are dispatched. */
  void dispatchDue(Instant now) {
    for (TaskRecord t : ready.takeDue(now)) {
      JobRecord job = jobs.active(t.jobId());
      if (job != null && t.is(TaskState.TASK_STATE_READY)) {
        dispatch(job, t, now);
      }
    }
  }

  /** Leases {@code t} to the poller, commits, then answers it. */
  private void deliver(JobRecord job, TaskRecord t, PollWaiter w, Instant now) {
    deliver(job, t, w, now, 3);
  }

  private void deliver(JobRecord job, TaskRecord t, PollWaiter w, Instant now, int attempts) {
    job.lease(t, w.workerId, Ids.newLeaseToken(), now.plus(config.leaseDuration()), now);
    try {
      committer.commit(job, now);
    } catch (ConcurrentChange another) {
      // Another replica changed the job first (maybe leased this very task): the next READY task,
      // if any. Taken only when it will be tried: a task taken and dropped would stay READY with
      // nobody to hand it out.
      TaskRecord next = attempts > 1 ? next(w.processors, now) : null;
      if (next != null) {
        deliver(jobs.active(next.jobId()), next, w, now, attempts - 1);
      } else {
        w.answer(null);
      }
      return;
    } catch (Failure e) {
      w.fail(e);
      return;
    }
    metrics.taskStarted(t.processor(), Duration.between(t.readySince(), now));
    OpaqueTask.Builder message = taskMessage(job, t);
    addFollowOns(message, job, t, w);
    Map<String, String> upstream = upstreamProcessors(job, t);
    String token = t.leaseToken();
    // The poller has its task once the lease is committed, before the fsync: should the OS lose the
    // lease, the task is READY again and this worker's token is refused as stale (it runs twice at
    // worst). The LEASED event still reaches watchers only once durable.
    committer.afterCommit(
        () -> {
          // Upstream outputs can be large: read outside the engine's lock (they never change once
          // stored).
          boolean answered;
          try {
            answered = w.answer(withUpstream(message, job.id(), upstream));
          } catch (RuntimeException e) {
            w.fail(
                new Failure.Unavailable(
                    "cannot read the task's upstream outputs: " + e.getMessage(), e));
            answered = false;
          }
          if (!answered) {
            takeBackLater(t.jobId(), t.name(), token);
          }
        },
        // the lease was lost with its commit: the job is reloaded, the task READY again
        w::fail);
  }

  /** {@link #takeBackUndelivered} off the caller's thread (it waits for a sync). */
  void takeBackLater(String jobId, String stage, String token) {
    timer.execute(() -> takeBackUndelivered(jobId, stage, token));
  }

  /**
   * The poller went away before its task reached it: the task is READY again at once, keeping its
   * attempt number and its place in the queue, instead of waiting for the lease to expire.
   */
  void takeBackUndelivered(String jobId, String stage, String token) {
    synchronized (lock) {
      JobRecord job = jobs.active(jobId);
      TaskRecord t = job == null ? null : job.task(stage);
      if (t == null || !t.is(TaskState.TASK_STATE_LEASED) || !t.leaseToken().equals(token)) {
        return;
      }
      Instant now = clock.instant();
      JobError err =
          JobError.newBuilder()
              .setStage(stage)
              .setCode("CANCELLED")
              .setReason("POLL_CANCELLED")
              .setMessage("worker " + t.workerId() + " went away before the task reached it")
              .build();
      job.handBack(t, err, now);
      try {
        committer.commit(job, now);
      } catch (ConcurrentChange another) {
        return; // another replica acted on it first; its lease expiry covers the rest
      }
      metrics.taskEnded(t.processor(), "undelivered");
      dispatch(job, t, now);
    }
    committer.awaitDurable();
  }

  private OpaqueTask.Builder taskMessage(JobRecord job, TaskRecord t) {
    return OpaqueTask.newBuilder()
        .setTaskId(t.taskId())
        .setJobId(job.id())
        .setStage(t.name())
        .setProcessor(t.processor())
        .setAttempt(t.attempt())
        .setLeaseToken(t.leaseToken())
        .setLeaseExpireTime(Protos.timestamp(t.leaseExpire()))
        .setLeaseDuration(Protos.duration(config.leaseDuration()))
        .setTimeout(Protos.duration(t.timeout()))
        .setDocument(job.document())
        .putAllOptions(t.stage().getOptionsMap())
        .setPassword(job.password())
        .setTraceparent(job.traceparent())
        .setTracestate(job.tracestate());
  }

  /**
   * Offers the poller the stages of {@code t}'s job that wait on {@code t} alone, or on it and on
   * each other, to run after it (Task.follow_ons): one lease, one document and one completion for
   * the chain instead of a round trip each. A stage is left out while another poller that could run
   * it is parked, so an idle worker still gets it in parallel once {@code t} completes; the stages
   * after it are then left out too, as they wait on it.
   */
  private void addFollowOns(OpaqueTask.Builder message, JobRecord job, TaskRecord t, PollWaiter w) {
    Set<String> chain = new HashSet<>();
    chain.add(t.name());
    boolean grew = w.maxFollowOns > 0;
    while (grew) {
      grew = false;
      // in passes until none joins: a stage joins only after all it waits on, so the offer is in
      // an order to run
      for (TaskRecord f : job.tasks()) {
        if (chain.size() > w.maxFollowOns) {
          return;
        }
        if (f.is(TaskState.TASK_STATE_BLOCKED)
            && !chain.contains(f.name())
            && w.processors.contains(f.processor())
            && chain.containsAll(f.stage().getAfterList())
            && !idlePollerFor(f.processor())) {
          chain.add(f.name());
          message.addFollowOns(
              FollowOn.newBuilder()
                  .setTaskId(f.taskId())
                  .setStage(f.name())
                  .setProcessor(f.processor())
                  .putAllOptions(f.stage().getOptionsMap())
                  .addAllAfter(f.stage().getAfterList())
                  .setTimeout(Protos.duration(f.timeout())));
          grew = true;
        }
      }
    }
  }

  private boolean idlePollerFor(String processor) {
    for (PollWaiter other : waiters) {
      if (!other.isGone() && other.processors.contains(processor)) {
        return true;
      }
    }
    return false;
  }

  /** The stages {@code t} runs after, with their processors, in the pipeline's order. */
  private static Map<String, String> upstreamProcessors(JobRecord job, TaskRecord t) {
    Map<String, String> upstream = new java.util.LinkedHashMap<>();
    for (String dep : t.stage().getAfterList()) {
      upstream.put(dep, job.task(dep).processor());
    }
    return upstream;
  }

  private OpaqueTask withUpstream(
      OpaqueTask.Builder b, String jobId, Map<String, String> upstream) {
    if (!upstream.isEmpty()) {
      Map<String, ByteString> outputs = store.outputs(jobId);
      upstream.forEach(
          (dep, processor) -> {
            ByteString o = outputs.get(dep);
            if (o != null) {
              b.addUpstream(
                  OpaqueUpstreamOutput.newBuilder()
                      .setStage(dep)
                      .setProcessor(processor)
                      .setOutput(o));
            }
          });
    }
    return b.build();
  }

  /** Into the READY index without looking for a poller (start-up). */
  void index(JobRecord job, TaskRecord t, Instant now) {
    ready.add(t, job.priority(), now);
  }

  /** The tasks of an ending job leave the READY index. */
  void withdraw(JobRecord job) {
    for (TaskRecord t : job.tasks()) {
      ready.remove(t);
    }
  }

  List<WorkerInfo> workers() {
    Map<String, Integer> leases = new HashMap<>();
    for (JobRecord job : jobs.all()) {
      for (TaskRecord t : job.tasks()) {
        if (t.is(TaskState.TASK_STATE_LEASED)) {
          leases.merge(t.workerId(), 1, Integer::sum);
        }
      }
    }
    return workers.recent(clock.instant(), leases);
  }

  QueueSnapshot queueSnapshot() {
    return new QueueSnapshot(ready.depthByProcessor(), ready.oldestAge(clock.instant()));
  }

  /** Answers every parked poller with "no task" (shutdown). */
  void releaseAll() {
    for (PollWaiter w : waiters) {
      w.cancelTimeout();
      w.answer(null);
    }
    waiters.clear();
  }
}
