package dev.docmesh.worker.fakes;

import com.google.protobuf.ByteString;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.document.v1.DocumentRef;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskRequest;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskResponse;
import dev.docmesh.proto.orchestrator.v1.FailTaskRequest;
import dev.docmesh.proto.orchestrator.v1.FailTaskResponse;
import dev.docmesh.proto.orchestrator.v1.GetDocumentRequest;
import dev.docmesh.proto.orchestrator.v1.GetDocumentResponse;
import dev.docmesh.proto.orchestrator.v1.HeartbeatRequest;
import dev.docmesh.proto.orchestrator.v1.HeartbeatResponse;
import dev.docmesh.proto.orchestrator.v1.PollTaskRequest;
import dev.docmesh.proto.orchestrator.v1.PollTaskResponse;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A scripted task queue: hands out the tasks a test offers, serves documents, and records every
 * heartbeat and result. Answers can be scripted per call.
 */
public final class FakeTaskQueue extends TaskQueueServiceGrpc.TaskQueueServiceImplBase {
  /** A heartbeat as received, with when it arrived. */
  public record Beat(HeartbeatRequest request, long nanos) {}

  /** Decides the answer to one call: null means the default, else the error to send. */
  public interface Script<Q> {
    Status answer(Q request, int callNumber);
  }

  private final BlockingQueue<Task> ready = new LinkedBlockingQueue<>();
  private final Map<String, ByteString> documents = new ConcurrentHashMap<>();
  public final List<PollTaskRequest> polls = new CopyOnWriteArrayList<>();
  public final List<Beat> heartbeats = new CopyOnWriteArrayList<>();
  public final List<CompleteTaskRequest> completions = new CopyOnWriteArrayList<>();
  public final List<CompleteTaskRequest> completeAttempts = new CopyOnWriteArrayList<>();

  /** Tasks handed out in a CompleteTask's answer (lease_next) rather than a poll's. */
  public final List<Task> handedOver = new CopyOnWriteArrayList<>();

  public final List<FailTaskRequest> failures = new CopyOnWriteArrayList<>();
  public final List<GetDocumentRequest> documentReads = new CopyOnWriteArrayList<>();
  public volatile boolean cancelRequested;
  public volatile Script<CompleteTaskRequest> completeScript = (r, n) -> null;
  private final AtomicInteger completeCalls = new AtomicInteger();
  private final AtomicLong leaseCounter = new AtomicLong();

  /** Stores a document and returns its ref. */
  public DocumentRef putDocument(byte[] content, String filename, String mediaType) {
    String id = "sha256:" + sha256(content);
    documents.put(id, ByteString.copyFrom(content));
    return DocumentRef.newBuilder()
        .setId(id)
        .setFilename(filename)
        .setMediaType(mediaType)
        .setSizeBytes(content.length)
        .build();
  }

  /** Makes a task ready, with a fresh lease token. */
  public Task offer(Task.Builder task, Duration lease) {
    Task leased =
        task.setLeaseToken("lease-" + leaseCounter.incrementAndGet())
            .setLeaseDuration(
                com.google.protobuf.Duration.newBuilder()
                    .setSeconds(lease.getSeconds())
                    .setNanos(lease.getNano()))
            .build();
    ready.add(leased);
    return leased;
  }

  @Override
  public void pollTask(PollTaskRequest request, StreamObserver<PollTaskResponse> response) {
    polls.add(request);
    long waitMs =
        request.hasWait()
            ? request.getWait().getSeconds() * 1000 + request.getWait().getNanos() / 1_000_000
            : 1000;
    Task task;
    try {
      task = ready.poll(Math.min(waitMs, 1000), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      task = null;
    }
    // the call's context learns of a cancellation at once (isCancelled() of the observer only
    // after this handler returns)
    boolean gone = io.grpc.Context.current().isCancelled();
    if (task != null && (gone || !request.getProcessorsList().contains(task.getProcessor()))) {
      // a poller that went away (or cannot run it) must not swallow the task
      ready.add(task);
      task = null;
    }
    PollTaskResponse.Builder answer = PollTaskResponse.newBuilder();
    if (task != null) {
      answer.setTask(task);
    }
    response.onNext(answer.build());
    response.onCompleted();
  }

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> response) {
    heartbeats.add(new Beat(request, System.nanoTime()));
    response.onNext(HeartbeatResponse.newBuilder().setCancelRequested(cancelRequested).build());
    response.onCompleted();
  }

  @Override
  public void completeTask(
      CompleteTaskRequest request, StreamObserver<CompleteTaskResponse> response) {
    completeAttempts.add(request);
    Status scripted = completeScript.answer(request, completeCalls.incrementAndGet());
    if (scripted != null) {
      response.onError(
          scripted.getCode() == Status.Code.FAILED_PRECONDITION
              ? Errors.withReason(scripted.getCode(), "LEASE_STALE", "lease is stale")
              : scripted.asRuntimeException());
      return;
    }
    completions.add(request);
    CompleteTaskResponse.Builder answer = CompleteTaskResponse.newBuilder();
    if (request.hasLeaseNext()) {
      Task next = ready.poll();
      if (next != null
          && !request.getLeaseNext().getProcessorsList().contains(next.getProcessor())) {
        ready.add(next);
        next = null;
      }
      if (next != null) {
        handedOver.add(next);
        answer.setNextTask(next);
      }
    }
    response.onNext(answer.build());
    response.onCompleted();
  }

  @Override
  public void failTask(FailTaskRequest request, StreamObserver<FailTaskResponse> response) {
    failures.add(request);
    response.onNext(FailTaskResponse.newBuilder().setWillRetry(request.getRetryable()).build());
    response.onCompleted();
  }

  @Override
  public void getDocument(
      GetDocumentRequest request, StreamObserver<GetDocumentResponse> response) {
    documentReads.add(request);
    ByteString content = documents.get(request.getDocumentId());
    if (content == null) {
      response.onError(Errors.notFound("document", request.getDocumentId()));
      return;
    }
    int chunk = request.getChunkSize() > 0 ? Math.min(request.getChunkSize(), 1 << 20) : 256 * 1024;
    // several chunks even for small documents, so reassembly is exercised
    chunk = Math.max(1, Math.min(chunk, Math.max(1, content.size() / 3)));
    for (int offset = 0; offset < content.size(); offset += chunk) {
      response.onNext(
          GetDocumentResponse.newBuilder()
              .setOffset(offset)
              .setChunk(content.substring(offset, Math.min(content.size(), offset + chunk)))
              .setSizeBytes(content.size())
              .build());
    }
    response.onCompleted();
  }

  private static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
