package dev.docmesh.monitor.jobs;

import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.WatchJobsRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobsResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active jobs, from the orchestrator's {@code WatchJobs} firehose, for the dashboard's progress
 * bars. The stream only shows changes, so a (re)connect starts from an empty view and jobs appear
 * as they next change. An orchestrator that does not implement the call (or is away) is a normal
 * state, shown on the dashboard and retried, never an error here.
 */
public final class JobsTracker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JobsTracker.class);
  private static final Duration INITIAL_BACKOFF = Duration.ofSeconds(1);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  /** What the dashboard shows about the feed itself. */
  public record Feed(boolean connected, String problem, List<Job> jobs) {}

  private final ManagedChannel channel;
  private final ScheduledExecutorService scheduler;
  private final Map<String, Job> active = new ConcurrentHashMap<>();
  private volatile boolean connected;
  private volatile String problem = "not connected yet";
  private volatile boolean closed;
  private Duration backoff = INITIAL_BACKOFF;
  private Status.Code lastLogged;
  private ClientCallStreamObserver<WatchJobsRequest> call;

  public JobsTracker(ManagedChannel channel, ScheduledExecutorService scheduler) {
    this.channel = channel;
    this.scheduler = scheduler;
  }

  public synchronized void start() {
    if (closed) {
      return;
    }
    // open until it fails: the stream sends nothing (not even headers) before a job changes
    connected = true;
    problem = "";
    OrchestratorServiceGrpc.newStub(channel)
        .watchJobs(
            WatchJobsRequest.newBuilder().setIncludeProgress(true).build(),
            new ClientResponseObserver<WatchJobsRequest, WatchJobsResponse>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<WatchJobsRequest> requestStream) {
                call = requestStream;
              }

              @Override
              public void onNext(WatchJobsResponse value) {
                synchronized (JobsTracker.this) {
                  backoff = INITIAL_BACKOFF;
                  lastLogged = null;
                }
                accept(value.getJob());
              }

              @Override
              public void onError(Throwable t) {
                ended(Status.fromThrowable(t));
              }

              @Override
              public void onCompleted() {
                ended(Status.UNAVAILABLE.withDescription("orchestrator ended the stream"));
              }
            });
  }

  void accept(Job job) {
    if (isActive(job.getState())) {
      active.put(job.getId(), job);
    } else {
      active.remove(job.getId());
    }
  }

  private static boolean isActive(JobState state) {
    return state == JobState.JOB_STATE_QUEUED || state == JobState.JOB_STATE_RUNNING;
  }

  private void ended(Status status) {
    connected = false;
    active.clear();
    if (closed || status.getCode() == Status.Code.CANCELLED) {
      return;
    }
    problem =
        status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
    Duration delay;
    synchronized (this) {
      if (status.getCode() != lastLogged) {
        // once per kind of failure: an orchestrator without WatchJobs would otherwise fill the log
        log.info(
            "jobs feed from the orchestrator unavailable ({}); retrying with backoff", problem);
        lastLogged = status.getCode();
      }
      delay = backoff;
      backoff =
          backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
              ? MAX_BACKOFF
              : backoff.multipliedBy(2);
    }
    scheduler.schedule(
        () -> {
          channel.resetConnectBackoff();
          start();
        },
        delay.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  public int activeJobs() {
    return active.size();
  }

  public Feed feed() {
    List<Job> jobs = new ArrayList<>(active.values());
    jobs.sort(Comparator.comparing(Job::getId));
    return new Feed(connected, problem, jobs);
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (call != null) {
      call.cancel("monitor stopping", null);
    }
    channel.shutdownNow();
  }
}
