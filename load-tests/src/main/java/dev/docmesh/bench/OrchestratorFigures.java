package dev.docmesh.bench;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.common.util.concurrent.SettableFuture;
import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskRequest;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskResponse;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.HeartbeatRequest;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.LeaseNext;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.PollTaskRequest;
import dev.docmesh.proto.orchestrator.v1.PollTaskResponse;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.SubmitJobResponse;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The orchestrator's own figures, each against the same client calling {@link EchoServer}: no-op
 * tasks through PollTask → CompleteTask, SubmitJob closed and open loop, dispatch and progress
 * latency, and the GetJob ceiling.
 */
final class OrchestratorFigures {
  /**
   * Pipelines only the harness works on: its pollers complete their tasks without any processor.
   */
  static final String PIPELINES_YAML =
      """
      pipelines:
        - name: bench-noop
          description: four independent no-op stages, completed by the harness's pollers
          stages:
            - {name: a, processor: bench.noop}
            - {name: b, processor: bench.noop}
            - {name: c, processor: bench.noop}
            - {name: d, processor: bench.noop}
        - name: bench-idle
          description: a stage nobody polls (SubmitJob figures)
          stages:
            - {name: idle, processor: bench.idle}
        - name: bench-dispatch
          stages:
            - {name: one, processor: bench.dispatch}
        - name: bench-progress
          stages:
            - {name: one, processor: bench.progress}
      """;

  static final String BENCH_PROCESSORS = "bench.noop,bench.idle,bench.dispatch,bench.progress";

  /** Quiet time before each dispatch sample, so its poller waits parked. */
  static final int DISPATCH_IDLE_MILLIS = 30;

  private static final int NOOP_STAGES = 4;
  private static final StageOutput EMPTY =
      StageOutput.newBuilder().setCustom(Struct.getDefaultInstance()).build();
  private static final ByteString CONTENT =
      ByteString.copyFromUtf8("docmesh bench: a document no processor reads\n");

  private final ManagedChannel orchestrator;
  private final ManagedChannel echo;
  private final Sizes sizes;

  /**
   * Which side of each ratio runs first; flipped every pass so drift in the machine's load hits
   * both alike.
   */
  private boolean limitFirst;

  /** How much each figure does per pass. */
  record Sizes(
      int window,
      Duration closedLoop,
      double openLoopRate,
      int openLoopCalls,
      int noopJobs,
      int pollers,
      int latencySamples) {}

  OrchestratorFigures(ManagedChannel orchestrator, ManagedChannel echo, Sizes sizes) {
    this.orchestrator = orchestrator;
    this.echo = echo;
    this.sizes = sizes;
  }

  void limitFirst(boolean b) {
    limitFirst = b;
  }

  /** Runs both sides in this pass's order; returns {mesh, limit}. */
  private <T> List<T> bothSides(
      java.util.function.Supplier<T> mesh, java.util.function.Supplier<T> limit) {
    if (limitFirst) {
      T l = limit.get();
      return List.of(mesh.get(), l);
    }
    T m = mesh.get();
    return List.of(m, limit.get());
  }

  static SubmitJobRequest submit(String pipeline) {
    return SubmitJobRequest.newBuilder()
        .setContent(CONTENT)
        .setFilename("bench.txt")
        .setMediaType("text/plain")
        .setPipeline(pipeline)
        .setRequestId("bench-" + UUID.randomUUID())
        .build();
  }

  // ---- GetJob ceiling

  void getJob(Figure f, String jobId) {
    List<Double> r =
        bothSides(() -> getJobRate(orchestrator, jobId), () -> getJobRate(echo, jobId));
    f.add(r.get(0), r.get(1));
  }

  private double getJobRate(ManagedChannel ch, String jobId) {
    OrchestratorServiceGrpc.OrchestratorServiceFutureStub stub =
        OrchestratorServiceGrpc.newFutureStub(ch);
    GetJobRequest req = GetJobRequest.newBuilder().setJobId(jobId).build();
    AsyncLoad.Result r =
        AsyncLoad.closedLoop(sizes.window(), sizes.closedLoop(), () -> stub.getJob(req));
    r.requireNoErrors("GetJob");
    return r.perSecond();
  }

  // ---- SubmitJob

  void submitClosedLoop(Figure f) {
    List<Double> r = bothSides(() -> submitRate(orchestrator), () -> submitRate(echo));
    f.add(r.get(0), r.get(1));
  }

  double submitRate(ManagedChannel ch) {
    OrchestratorServiceGrpc.OrchestratorServiceFutureStub stub =
        OrchestratorServiceGrpc.newFutureStub(ch);
    AsyncLoad.Result r =
        AsyncLoad.closedLoop(
            sizes.window(), sizes.closedLoop(), () -> stub.submitJob(submit("bench-idle")));
    r.requireNoErrors("SubmitJob");
    return r.perSecond();
  }

  void submitOpenLoop(Figure p50, Figure p99) {
    List<long[]> r = bothSides(() -> submitLatencies(orchestrator), () -> submitLatencies(echo));
    long[] mesh = r.get(0);
    long[] bare = r.get(1);
    p50.add(Stats.percentileMillis(mesh, 50), Stats.percentileMillis(bare, 50));
    p99.add(Stats.percentileMillis(mesh, 99), Stats.percentileMillis(bare, 99));
  }

  long[] submitLatencies(ManagedChannel ch) {
    OrchestratorServiceGrpc.OrchestratorServiceFutureStub stub =
        OrchestratorServiceGrpc.newFutureStub(ch);
    AsyncLoad.Result r =
        AsyncLoad.openLoop(
            sizes.openLoopRate(),
            sizes.openLoopCalls(),
            () -> stub.submitJob(submit("bench-idle")));
    r.requireNoErrors("SubmitJob (open loop)");
    return r.latenciesNanos();
  }

  // ---- no-op tasks

  void noopTasks(Figure f) {
    int tasks = submitNoopBacklog();
    List<Double> r =
        bothSides(
            () -> tasks / pollAndComplete(orchestrator, tasks),
            () -> tasks / pollAndComplete(echo, tasks));
    f.add(r.get(0), r.get(1));
  }

  /**
   * Submits {@code noopJobs} jobs of the 4-stage no-op pipeline and returns their task count; not
   * timed: the no-op figure is PollTask → CompleteTask alone.
   */
  int submitNoopBacklog() {
    int jobs = sizes.noopJobs();
    OrchestratorServiceGrpc.OrchestratorServiceFutureStub submitter =
        OrchestratorServiceGrpc.newFutureStub(orchestrator);
    List<ListenableFuture<SubmitJobResponse>> subs = new ArrayList<>();
    for (int i = 0; i < jobs; i++) {
      subs.add(submitter.submitJob(submit("bench-noop")));
    }
    try {
      Futures.allAsList(subs).get(5, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new IllegalStateException("cannot submit the no-op backlog: " + e, e);
    }
    return jobs * NOOP_STAGES;
  }

  /** Seconds for {@code pollers} concurrent poll → complete loops to finish {@code tasks} tasks. */
  double pollAndComplete(ManagedChannel ch, int tasks) {
    return pollAndComplete(ch, tasks, false);
  }

  /**
   * As {@link #pollAndComplete(ManagedChannel, int)}; with {@code leaseNext} each completion asks
   * for the poller's next task as worker-svc does, and a poller polls only when it was handed none.
   */
  double pollAndComplete(ManagedChannel ch, int tasks, boolean leaseNext) {
    TaskQueueServiceGrpc.TaskQueueServiceFutureStub stub = TaskQueueServiceGrpc.newFutureStub(ch);
    AtomicLong done = new AtomicLong();
    AtomicLong claimed = new AtomicLong();
    CountDownLatch finished = new CountDownLatch(1);
    Map<String, Long> errors = new ConcurrentHashMap<>();
    long start = System.nanoTime();
    AtomicLong end = new AtomicLong();
    CountDownLatch stopped = new CountDownLatch(sizes.pollers());
    for (int i = 0; i < sizes.pollers(); i++) {
      String worker = "bench-poller-" + i;
      new Poller(stub, worker, tasks, leaseNext, claimed, done, end, finished, stopped, errors)
          .poll();
    }
    try {
      if (!finished.await(5, TimeUnit.MINUTES)) {
        throw new IllegalStateException(
            "no-op tasks: " + done.get() + " of " + tasks + " done after 5 min " + errors);
      }
      // A poller still long-polling when the last task is done would take a task of the next
      // round's backlog (submitted right after this returns), and that round would wait forever
      // for it: every loop ends (its poll waits 200 ms at most) before the figure is returned.
      if (!stopped.await(1, TimeUnit.MINUTES)) {
        throw new IllegalStateException(
            "no-op tasks: "
                + stopped.getCount()
                + " pollers still polling a minute after the last task");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    if (!errors.isEmpty()) {
      throw new IllegalStateException("no-op tasks had errors: " + errors);
    }
    return (end.get() - start) / 1e9;
  }

  /** One poller's loop: poll, complete, and so on until the backlog is claimed. */
  private record Poller(
      TaskQueueServiceGrpc.TaskQueueServiceFutureStub stub,
      String worker,
      int tasks,
      boolean leaseNext,
      AtomicLong claimed,
      AtomicLong done,
      AtomicLong end,
      CountDownLatch finished,
      CountDownLatch stopped,
      Map<String, Long> errors) {

    void poll() {
      if (claimed.get() >= tasks || !errors.isEmpty()) {
        stopped.countDown();
        return;
      }
      PollTaskRequest poll =
          PollTaskRequest.newBuilder()
              .setWorkerId(worker)
              .addProcessors("bench.noop")
              .setWait(com.google.protobuf.Duration.newBuilder().setNanos(200_000_000))
              .setSlotsTotal(1)
              .build();
      Futures.addCallback(
          stub.withDeadlineAfter(30, TimeUnit.SECONDS).pollTask(poll),
          new FutureCallback<PollTaskResponse>() {
            @Override
            public void onSuccess(PollTaskResponse r) {
              if (r.hasTask()) {
                claimed.incrementAndGet();
                complete(r.getTask());
              } else {
                poll();
              }
            }

            @Override
            public void onFailure(Throwable e) {
              failed("PollTask", e);
            }
          },
          MoreExecutors.directExecutor());
    }

    private void complete(Task t) {
      CompleteTaskRequest.Builder c =
          CompleteTaskRequest.newBuilder()
              .setTaskId(t.getTaskId())
              .setLeaseToken(t.getLeaseToken())
              .setWorkerId(worker)
              .setOutput(EMPTY);
      // the bare server hands out tasks without end: ask only while the backlog lasts
      if (leaseNext && claimed.get() < tasks) {
        c.setLeaseNext(
            LeaseNext.newBuilder().addProcessors("bench.noop").setSlotsTotal(1).setSlotsBusy(1));
      }
      Futures.addCallback(
          stub.withDeadlineAfter(30, TimeUnit.SECONDS).completeTask(c.build()),
          new FutureCallback<CompleteTaskResponse>() {
            @Override
            public void onSuccess(CompleteTaskResponse r) {
              if (done.incrementAndGet() == tasks) {
                end.set(System.nanoTime());
                finished.countDown();
              }
              if (r.hasNextTask() && claimed.incrementAndGet() <= tasks) {
                complete(r.getNextTask());
              } else {
                poll();
              }
            }

            @Override
            public void onFailure(Throwable e) {
              failed("CompleteTask", e);
            }
          },
          MoreExecutors.directExecutor());
    }

    private void failed(String call, Throwable e) {
      errors.merge(call + " " + io.grpc.Status.fromThrowable(e).getCode(), 1L, Long::sum);
      finished.countDown();
      stopped.countDown();
    }
  }

  // ---- latency of one call against the bare server: the limit of dispatch and progress latency

  /** Median round trip of one GetJob on the bare server, milliseconds. */
  double echoRoundTripMillis(String jobId) {
    int n = Math.max(20, sizes.latencySamples() * 5);
    return Stats.percentileMillis(echoRoundTripsAfterIdle(jobId, n, 0), 50);
  }

  /**
   * {@code n} unary round trips to the bare server, each after {@code idleMillis} of silence (0:
   * back to back), as the dispatch samples come (nanos): on some machines a grpc-java round trip
   * after an idle gap costs far more than one in a busy loop, whatever the server does.
   */
  long[] echoRoundTripsAfterIdle(String jobId, int n, int idleMillis) {
    OrchestratorServiceGrpc.OrchestratorServiceBlockingStub stub =
        OrchestratorServiceGrpc.newBlockingStub(echo);
    GetJobRequest req = GetJobRequest.newBuilder().setJobId(jobId).build();
    long[] rtt = new long[n];
    for (int i = 0; i < n; i++) {
      if (idleMillis > 0) {
        ServiceProcess.sleep(idleMillis);
      }
      long t0 = System.nanoTime();
      stub.getJob(req);
      rtt[i] = System.nanoTime() - t0;
    }
    return rtt;
  }

  // ---- dispatch latency: READY (the commit's event time) → an idle poller has its answer

  void dispatch(Figure f, String jobIdForEcho) {
    long[] lat = dispatchLatencies(sizes.latencySamples());
    f.add(Stats.percentileMillis(lat, 50), echoRoundTripMillis(jobIdForEcho));
  }

  /** {@code n} samples of READY (the commit's event time) → the idle poller answered, nanos. */
  long[] dispatchLatencies(int n) {
    TaskQueueServiceGrpc.TaskQueueServiceFutureStub queue =
        TaskQueueServiceGrpc.newFutureStub(orchestrator);
    OrchestratorServiceGrpc.OrchestratorServiceBlockingStub jobs =
        OrchestratorServiceGrpc.newBlockingStub(orchestrator);
    long[] lat = new long[n];
    for (int i = 0; i < lat.length; ) {
      SettableFuture<Instant> answeredAt = SettableFuture.create();
      ListenableFuture<PollTaskResponse> poll =
          queue
              .withDeadlineAfter(60, TimeUnit.SECONDS)
              .pollTask(
                  PollTaskRequest.newBuilder()
                      .setWorkerId("bench-dispatch")
                      .addProcessors("bench.dispatch")
                      .setSlotsTotal(1)
                      .setWait(com.google.protobuf.Duration.newBuilder().setSeconds(30))
                      .build());
      poll.addListener(() -> answeredAt.set(Instant.now()), MoreExecutors.directExecutor());
      ServiceProcess.sleep(DISPATCH_IDLE_MILLIS); // the poller is parked before the job exists
      String jobId = jobs.submitJob(submit("bench-dispatch")).getJob().getId();
      Task task;
      Instant answered;
      try {
        task = poll.get(60, TimeUnit.SECONDS).getTask();
        answered = answeredAt.get();
      } catch (Exception e) {
        throw new IllegalStateException("dispatch: the idle poller got no task: " + e, e);
      }
      if (task.getTaskId().isEmpty()) {
        continue; // the long poll ended empty (cannot happen within its 30 s unless the job went
        // elsewhere): try again
      }
      complete(task, "bench-dispatch");
      if (!task.getJobId().equals(jobId)) {
        // an older bench.dispatch task (e.g. one whose lease expired) was READY first: not an idle
        // poller's case
        drainDispatchQueue();
        continue;
      }
      Instant ready =
          eventTime(
              jobId,
              e ->
                  e.hasTaskStateChanged()
                      && e.getTaskStateChanged().getTo() == TaskState.TASK_STATE_READY);
      lat[i++] = Duration.between(ready, answered).toNanos();
    }
    return lat;
  }

  /** Completes every bench.dispatch task already READY, so the next poller waits idle. */
  private void drainDispatchQueue() {
    TaskQueueServiceGrpc.TaskQueueServiceBlockingStub q =
        TaskQueueServiceGrpc.newBlockingStub(orchestrator);
    while (true) {
      PollTaskResponse r =
          q.withDeadlineAfter(10, TimeUnit.SECONDS)
              .pollTask(
                  PollTaskRequest.newBuilder()
                      .setWorkerId("bench-dispatch")
                      .addProcessors("bench.dispatch")
                      .setSlotsTotal(1)
                      .setWait(com.google.protobuf.Duration.newBuilder().setNanos(50_000_000))
                      .build());
      if (!r.hasTask()) {
        return;
      }
      complete(r.getTask(), "bench-dispatch");
    }
  }

  private Instant eventTime(String jobId, java.util.function.Predicate<JobEvent> which) {
    io.grpc.Context.CancellableContext ctx = io.grpc.Context.current().withCancellation();
    try {
      return ctx.call(
          () -> {
            Iterator<WatchJobResponse> it =
                OrchestratorServiceGrpc.newBlockingStub(orchestrator)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .watchJob(WatchJobRequest.newBuilder().setJobId(jobId).build());
            while (it.hasNext()) {
              JobEvent e = it.next().getEvent();
              if (which.test(e)) {
                Timestamp t = e.getTime();
                return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
              }
            }
            throw new IllegalStateException("no matching event for " + jobId);
          });
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      ctx.cancel(null); // the job is still running: end the stream here
    }
  }

  void complete(Task task, String worker) {
    TaskQueueServiceGrpc.newBlockingStub(orchestrator)
        .completeTask(
            CompleteTaskRequest.newBuilder()
                .setTaskId(task.getTaskId())
                .setLeaseToken(task.getLeaseToken())
                .setWorkerId(worker)
                .setOutput(EMPTY)
                .build());
  }

  // ---- progress latency: Heartbeat(progress) sent → a WatchJob client sees that progress

  /** A bench-progress job's task, leased by the bench-progress poller. */
  record Leased(String jobId, Task task) {}

  /** Submits a bench-progress job and leases its one task. */
  static Leased leaseProgressTask(ManagedChannel orchestrator) {
    String jobId =
        OrchestratorServiceGrpc.newBlockingStub(orchestrator)
            .submitJob(submit("bench-progress"))
            .getJob()
            .getId();
    Task task =
        TaskQueueServiceGrpc.newBlockingStub(orchestrator)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .pollTask(
                PollTaskRequest.newBuilder()
                    .setWorkerId("bench-progress")
                    .addProcessors("bench.progress")
                    .setSlotsTotal(1)
                    .setWait(com.google.protobuf.Duration.newBuilder().setSeconds(10))
                    .build())
            .getTask();
    if (task.getTaskId().isEmpty()) {
      throw new IllegalStateException("progress: no task leased");
    }
    return new Leased(jobId, task);
  }

  void progress(Figure f, String jobIdForEcho) {
    TaskQueueServiceGrpc.TaskQueueServiceBlockingStub queue =
        TaskQueueServiceGrpc.newBlockingStub(orchestrator);
    Leased leased = leaseProgressTask(orchestrator);
    String jobId = leased.jobId();
    Task task = leased.task();
    int n = sizes.latencySamples();
    Map<Long, Long> seen = new ConcurrentHashMap<>();
    Map<Long, CountDownLatch> arrived = new ConcurrentHashMap<>();
    for (long k = 1; k <= n; k++) {
      arrived.put(k, new CountDownLatch(1));
    }
    io.grpc.Context.CancellableContext watch = io.grpc.Context.current().withCancellation();
    watch.run(
        () ->
            OrchestratorServiceGrpc.newStub(orchestrator)
                .watchJob(
                    WatchJobRequest.newBuilder().setJobId(jobId).build(),
                    new StreamObserver<>() {
                      @Override
                      public void onNext(WatchJobResponse r) {
                        if (r.getEvent().hasTaskProgressed()) {
                          long k = r.getEvent().getTaskProgressed().getProgress().getDone();
                          seen.putIfAbsent(k, System.nanoTime());
                          CountDownLatch l = arrived.get(k);
                          if (l != null) {
                            l.countDown();
                          }
                        }
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {}
                    }));
    try {
      ServiceProcess.sleep(100); // the watcher is attached and has replayed the past
      long[] lat = new long[n];
      for (long k = 1; k <= n; k++) {
        long t0 = System.nanoTime();
        queue.heartbeat(
            HeartbeatRequest.newBuilder()
                .setTaskId(task.getTaskId())
                .setLeaseToken(task.getLeaseToken())
                .setWorkerId("bench-progress")
                .setProgress(
                    Progress.newBuilder()
                        .setDone(k)
                        .setTotal(n)
                        .setUnit("page")
                        .setMessage("page " + k + " of " + n))
                .build());
        if (!arrived.get(k).await(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("progress " + k + " never reached the WatchJob client");
        }
        lat[(int) k - 1] = seen.get(k) - t0;
      }
      complete(task, "bench-progress");
      f.add(Stats.percentileMillis(lat, 50), echoRoundTripMillis(jobIdForEcho));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      watch.cancel(null);
    }
  }
}
