package dev.docmesh.worker;

import com.google.protobuf.ByteString;
import dev.docmesh.meshkit.grpc.OpaqueMethods;
import dev.docmesh.proto.orchestrator.v1.FailTaskRequest;
import dev.docmesh.proto.orchestrator.v1.GetDocumentRequest;
import dev.docmesh.proto.orchestrator.v1.GetDocumentResponse;
import dev.docmesh.proto.orchestrator.v1.LeaseNext;
import dev.docmesh.proto.orchestrator.v1.PollTaskRequest;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import dev.docmesh.proto.relay.v1.OpaqueCompleteTaskRequest;
import dev.docmesh.proto.relay.v1.OpaqueCompleteTaskResponse;
import dev.docmesh.proto.relay.v1.OpaqueFollowOnOutput;
import dev.docmesh.proto.relay.v1.OpaquePollTaskResponse;
import dev.docmesh.proto.relay.v1.OpaqueTask;
import dev.docmesh.worker.ResultReporter.Delivery;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The worker's side of TaskQueueService: long polls (cancelled together when the worker drains),
 * the document of a task, heartbeats, and results delivered until the orchestrator answers.
 */
final class TaskQueueClient {
  private static final Duration POLL_MARGIN = Duration.ofSeconds(5);
  private static final int DOCUMENT_CHUNK_BYTES = 1024 * 1024;

  private final TaskQueueServiceGrpc.TaskQueueServiceBlockingStub queue;
  private final TaskQueueServiceGrpc.TaskQueueServiceStub queueAsync;
  private final WorkerConfig config;
  private final ScheduledExecutorService scheduler;
  private final KeepAlives keepAlives;
  private final ResultReporter reporter;
  private final Runnable reconnect;
  private final Set<LongPoll> polls = ConcurrentHashMap.newKeySet();
  private final CountDownLatch abandonResults = new CountDownLatch(1);
  private final DocumentCache documents;
  private boolean pollsClosed;

  /**
   * {@code reconnect} makes the channel try the orchestrator again at once (its own reconnect
   * backoff grows to minutes).
   */
  TaskQueueClient(
      TaskQueueServiceGrpc.TaskQueueServiceBlockingStub queue,
      TaskQueueServiceGrpc.TaskQueueServiceStub queueAsync,
      WorkerConfig config,
      ScheduledExecutorService scheduler,
      Runnable reconnect) {
    this.queue = queue;
    this.queueAsync = queueAsync;
    this.config = config;
    this.scheduler = scheduler;
    this.keepAlives = new KeepAlives(scheduler);
    this.reporter =
        new ResultReporter(config.backoffInitial(), config.backoffMax(), abandonResults, reconnect);
    this.reconnect = reconnect;
    this.documents = new DocumentCache(config.documentCacheBytes());
  }

  /**
   * One long poll for a task of {@code processors}; empty when none came within the wait or polling
   * was closed. A failed call throws its StatusRuntimeException.
   */
  Optional<OpaqueTask> poll(List<String> processors, int slotsBusy) throws InterruptedException {
    PollTaskRequest request =
        PollTaskRequest.newBuilder()
            .setWorkerId(config.workerId())
            .addAllProcessors(processors)
            .setWait(
                com.google.protobuf.Duration.newBuilder()
                    .setSeconds(config.pollWait().getSeconds())
                    .setNanos(config.pollWait().getNano()))
            .setSlotsTotal(config.slots())
            .setSlotsBusy(slotsBusy)
            .setMaxFollowOns(config.maxFollowOns())
            .build();
    LongPoll poll;
    synchronized (this) {
      if (pollsClosed) {
        return Optional.empty();
      }
      poll = LongPoll.start(queueAsync, request, config.pollWait().plus(POLL_MARGIN));
      polls.add(poll);
    }
    try {
      OpaquePollTaskResponse response = poll.await();
      return response.hasTask() ? Optional.of(response.getTask()) : Optional.empty();
    } finally {
      polls.remove(poll);
    }
  }

  /** Cancels the open polls and refuses new ones (the worker is draining). */
  synchronized void closePolls() {
    pollsClosed = true;
    polls.forEach(LongPoll::cancel);
  }

  /** Results still being delivered give up: the worker is stopping and cannot wait longer. */
  void abandonResults() {
    abandonResults.countDown();
  }

  /** Makes the next call try the orchestrator at once instead of after the channel's backoff. */
  void reconnect() {
    reconnect.run();
  }

  /** Keeps {@code task}'s lease alive and relays its progress, once started. */
  Heartbeater heartbeater(OpaqueTask task, Heartbeater.Listener listener) {
    return new Heartbeater(
        task,
        config.workerId(),
        queueAsync,
        scheduler,
        keepAlives,
        config.progressInterval(),
        listener);
  }

  /**
   * The task's document, from the cache when a task of the same document fetched it lately; an
   * unreachable orchestrator is retried with backoff until the run's deadline.
   */
  ByteString document(OpaqueTask task, RunControl run) throws RunControl.Stopped {
    String id = task.getDocument().getId();
    Optional<ByteString> cached = documents.get(id);
    if (cached.isPresent()) {
      return cached.get();
    }
    ByteString fetched = fetchDocument(task, run);
    documents.put(id, fetched);
    return fetched;
  }

  private ByteString fetchDocument(OpaqueTask task, RunControl run) throws RunControl.Stopped {
    Backoff backoff = new Backoff(config.backoffInitial(), config.backoffMax());
    while (true) {
      try {
        return run.inCalls(() -> readDocument(task, run));
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || run.isStopped()) {
          throw e;
        }
        run.pause(backoff.next(), e);
      }
    }
  }

  private ByteString readDocument(OpaqueTask task, RunControl run) {
    Iterator<GetDocumentResponse> chunks =
        queue
            .withDeadline(run.deadline())
            .getDocument(
                GetDocumentRequest.newBuilder()
                    .setDocumentId(task.getDocument().getId())
                    .setChunkSize(DOCUMENT_CHUNK_BYTES)
                    .build());
    List<ByteString> parts = new ArrayList<>();
    while (chunks.hasNext()) {
      parts.add(chunks.next().getChunk());
    }
    return ByteString.copyFrom(parts);
  }

  /** How a CompleteTask ended, and the next task it was handed (null when none). */
  record Completion(Delivery delivery, OpaqueTask next) {}

  /**
   * CompleteTask with the processor's result as it came (an encoded StageOutput) and those of the
   * follow-ons run after it, delivered until the orchestrator accepts or rejects it; with {@code
   * leaseNext} (null: none) it also asks for the slot's next task.
   */
  Completion complete(
      OpaqueTask task,
      ByteString output,
      List<OpaqueFollowOnOutput> followOnOutputs,
      LeaseNext leaseNext) {
    OpaqueCompleteTaskRequest.Builder request =
        OpaqueCompleteTaskRequest.newBuilder()
            .setTaskId(task.getTaskId())
            .setLeaseToken(task.getLeaseToken())
            .setWorkerId(config.workerId())
            .setOutput(output)
            .addAllFollowOnOutputs(followOnOutputs);
    if (leaseNext != null) {
      request.setLeaseNext(leaseNext);
    }
    OpaqueCompleteTaskRequest built = request.build();
    AtomicReference<OpaqueCompleteTaskResponse> answer = new AtomicReference<>();
    Delivery delivery =
        reporter.deliver(
            "CompleteTask",
            task.getTaskId(),
            timeout -> {
              TaskQueueServiceGrpc.TaskQueueServiceBlockingStub stub = within(timeout);
              answer.set(
                  ClientCalls.blockingUnaryCall(
                      stub.getChannel(),
                      OpaqueMethods.COMPLETE_TASK,
                      stub.getCallOptions(),
                      built));
            });
    OpaqueCompleteTaskResponse r = answer.get();
    return new Completion(
        delivery, delivery == Delivery.ACCEPTED && r.hasNextTask() ? r.getNextTask() : null);
  }

  /** FailTask, delivered until the orchestrator accepts or rejects it. */
  Delivery fail(OpaqueTask task, TaskFailure failure) {
    FailTaskRequest request =
        FailTaskRequest.newBuilder()
            .setTaskId(task.getTaskId())
            .setLeaseToken(task.getLeaseToken())
            .setWorkerId(config.workerId())
            .setError(failure.error())
            .setRetryable(failure.retryable())
            .build();
    return reporter.deliver(
        "FailTask", task.getTaskId(), timeout -> within(timeout).failTask(request));
  }

  private TaskQueueServiceGrpc.TaskQueueServiceBlockingStub within(Duration timeout) {
    return queue.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
