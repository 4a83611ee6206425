package dev.docmesh.orchestrator.grpc;

import static dev.docmesh.orchestrator.grpc.OrchestratorServiceImpl.respond;
import static dev.docmesh.orchestrator.grpc.OrchestratorServiceImpl.respondWhenDurable;

import com.google.protobuf.ByteString;
import dev.docmesh.meshkit.grpc.OpaqueMethods;
import dev.docmesh.meshkit.server.ServiceDefinitions;
import dev.docmesh.orchestrator.Failure;
import dev.docmesh.orchestrator.Ids;
import dev.docmesh.orchestrator.engine.JobEngine;
import dev.docmesh.orchestrator.events.ReadyDrivenStream;
import dev.docmesh.orchestrator.events.StreamSink;
import dev.docmesh.orchestrator.model.Protos;
import dev.docmesh.orchestrator.model.StageOutputs;
import dev.docmesh.orchestrator.pipeline.PipelineCatalog;
import dev.docmesh.orchestrator.store.BlobStore;
import dev.docmesh.proto.orchestrator.v1.FailTaskRequest;
import dev.docmesh.proto.orchestrator.v1.FailTaskResponse;
import dev.docmesh.proto.orchestrator.v1.GetDocumentRequest;
import dev.docmesh.proto.orchestrator.v1.GetDocumentResponse;
import dev.docmesh.proto.orchestrator.v1.HeartbeatRequest;
import dev.docmesh.proto.orchestrator.v1.HeartbeatResponse;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.LeaseNext;
import dev.docmesh.proto.orchestrator.v1.PollTaskRequest;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import dev.docmesh.proto.relay.v1.OpaqueCompleteTaskRequest;
import dev.docmesh.proto.relay.v1.OpaqueCompleteTaskResponse;
import dev.docmesh.proto.relay.v1.OpaqueFollowOnOutput;
import dev.docmesh.proto.relay.v1.OpaquePollTaskResponse;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * TaskQueueService: the workers' side of the engine. PollTask and CompleteTask carry stage outputs,
 * which the orchestrator only stores and forwards: they are bound with the wire-compatible opaque
 * messages ({@code docmesh.relay.v1}), so an output arrives, is stored and leaves again as the
 * bytes the worker sent (see {@link StageOutputs} and {@link OpaqueMethods}).
 */
public final class TaskQueueServiceImpl extends TaskQueueServiceGrpc.TaskQueueServiceImplBase {
  private static final int DEFAULT_CHUNK = 256 * 1024;
  private static final int MAX_CHUNK = 1024 * 1024;
  private static final Duration MAX_WAIT = Duration.ofMinutes(10);

  private final JobEngine engine;
  private final PipelineCatalog catalog;
  private final BlobStore blobs;
  private final Clock clock;
  private final Executor streamExecutor;

  public TaskQueueServiceImpl(
      JobEngine engine,
      PipelineCatalog catalog,
      BlobStore blobs,
      Clock clock,
      Executor streamExecutor) {
    this.engine = engine;
    this.catalog = catalog;
    this.blobs = blobs;
    this.clock = clock;
    this.streamExecutor = streamExecutor;
  }

  /**
   * The service to register: the generated binding with PollTask and CompleteTask on the opaque
   * messages ({@code bindService()} is final there).
   */
  public ServerServiceDefinition definition() {
    return ServiceDefinitions.replacing(
        super.bindService(),
        ServerMethodDefinition.create(
            OpaqueMethods.POLL_TASK, ServerCalls.asyncUnaryCall(this::pollOpaqueTask)),
        ServerMethodDefinition.create(
            OpaqueMethods.COMPLETE_TASK, ServerCalls.asyncUnaryCall(this::completeOpaqueTask)));
  }

  private void pollOpaqueTask(
      PollTaskRequest req, StreamObserver<OpaquePollTaskResponse> response) {
    try {
      if (req.getWorkerId().isEmpty()) {
        throw new Failure.InvalidArgument("worker_id", "required");
      }
      checkProcessors("processors", req.getProcessorsList());
      checkMaxFollowOns("max_follow_ons", req.getMaxFollowOns());
      Duration wait = Protos.duration(req.getWait());
      if (wait.isNegative() || wait.compareTo(MAX_WAIT) > 0) {
        throw new Failure.InvalidArgument("wait", "0 (server default) to " + MAX_WAIT);
      }
      catalog.announce(req.getProcessorsList());
      Deadline deadline = Context.current().getDeadline();
      Instant callDeadline =
          deadline == null
              ? null
              : clock.instant().plusNanos(deadline.timeRemaining(TimeUnit.NANOSECONDS));
      engine.poll(
          req.getWorkerId(),
          req.getProcessorsList(),
          wait,
          req.getSlotsTotal(),
          req.getSlotsBusy(),
          req.getMaxFollowOns(),
          PeerAddress.current(),
          callDeadline,
          new PollCall(response));
    } catch (RuntimeException e) {
      response.onError(FailureStatus.of(e));
    }
  }

  private static void checkProcessors(String field, List<String> processors) {
    if (processors.isEmpty()) {
      throw new Failure.InvalidArgument(field, "name at least one processor the worker can run");
    }
  }

  private static void checkMaxFollowOns(String field, int max) {
    if (max < 0) {
      throw new Failure.InvalidArgument(field, "0 (none) or more");
    }
  }

  @Override
  public void heartbeat(HeartbeatRequest req, StreamObserver<HeartbeatResponse> response) {
    respond(
        response,
        () -> {
          JobEngine.Lease lease =
              engine.heartbeat(
                  req.getTaskId(),
                  req.getLeaseToken(),
                  req.hasProgress() ? req.getProgress() : null,
                  req.getProgressStage());
          return HeartbeatResponse.newBuilder()
              .setLeaseExpireTime(Protos.timestamp(lease.expireTime()))
              .setCancelRequested(lease.cancelRequested())
              .build();
        });
  }

  private void completeOpaqueTask(
      OpaqueCompleteTaskRequest req, StreamObserver<OpaqueCompleteTaskResponse> response) {
    CompleteCall call = new CompleteCall(response, engine);
    CompletableFuture<JobState> completed;
    try {
      JobEngine.NextPoll next = null;
      if (req.hasLeaseNext()) {
        LeaseNext ask = req.getLeaseNext();
        checkProcessors("lease_next.processors", ask.getProcessorsList());
        checkMaxFollowOns("lease_next.max_follow_ons", ask.getMaxFollowOns());
        catalog.announce(ask.getProcessorsList());
        next =
            new JobEngine.NextPoll(
                req.getWorkerId(),
                ask.getProcessorsList(),
                ask.getSlotsTotal(),
                ask.getSlotsBusy(),
                ask.getMaxFollowOns(),
                PeerAddress.current(),
                call);
      }
      List<JobEngine.FollowOnOutput> followOns = new ArrayList<>(req.getFollowOnOutputsCount());
      for (OpaqueFollowOnOutput f : req.getFollowOnOutputsList()) {
        followOns.add(new JobEngine.FollowOnOutput(f.getTaskId(), f.getOutput()));
      }
      completed =
          engine.complete(req.getTaskId(), req.getLeaseToken(), req.getOutput(), followOns, next);
      if (next == null) {
        call.answer(null);
      }
    } catch (RuntimeException e) {
      response.onError(FailureStatus.of(e));
      return;
    }
    call.answerWhenDurable(completed);
  }

  @Override
  public void failTask(FailTaskRequest req, StreamObserver<FailTaskResponse> response) {
    respondWhenDurable(
        response,
        () ->
            engine
                .fail(req.getTaskId(), req.getLeaseToken(), req.getError(), req.getRetryable())
                .thenApply(
                    retry -> {
                      FailTaskResponse.Builder r =
                          FailTaskResponse.newBuilder().setWillRetry(retry.isPresent());
                      retry.ifPresent(at -> r.setRetryTime(Protos.timestamp(at)));
                      return r.build();
                    }));
  }

  @Override
  public void getDocument(GetDocumentRequest req, StreamObserver<GetDocumentResponse> response) {
    try {
      String id = Ids.checkDocumentId("document_id", req.getDocumentId());
      if (req.getChunkSize() < 0) {
        throw new Failure.InvalidArgument("chunk_size", "must not be negative");
      }
      int chunk = req.getChunkSize() == 0 ? DEFAULT_CHUNK : Math.min(req.getChunkSize(), MAX_CHUNK);
      BlobStore.Reader file = blobs.open(id);
      if (file == null) {
        throw new Failure.NotFound("document", id);
      }
      new DocumentChunks(new CallSink<>(response), streamExecutor, file, chunk).start();
    } catch (IOException e) {
      response.onError(
          FailureStatus.of(new Failure.Internal("cannot read the document: " + e.getMessage(), e)));
    } catch (RuntimeException e) {
      response.onError(FailureStatus.of(e));
    }
  }

  /** Reads the next chunk only when the client can take it. */
  private static final class DocumentChunks extends ReadyDrivenStream<GetDocumentResponse> {
    private final BlobStore.Reader file;
    private final long size;
    private final int chunk;
    private long offset;
    private boolean sentAny;

    DocumentChunks(
        StreamSink<GetDocumentResponse> sink, Executor executor, BlobStore.Reader file, int chunk)
        throws IOException {
      super(sink, executor);
      this.file = file;
      this.size = file.size();
      this.chunk = chunk;
    }

    @Override
    protected GetDocumentResponse next() throws IOException {
      if (sentAny && offset >= size) {
        return null;
      }
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(chunk, size - offset));
      while (buf.hasRemaining()) {
        if (file.read(buf, offset + buf.position()) < 0) {
          throw new IOException("document shorter than its size");
        }
      }
      buf.flip();
      GetDocumentResponse r =
          GetDocumentResponse.newBuilder()
              .setOffset(offset)
              .setChunk(ByteString.copyFrom(buf))
              .setSizeBytes(size)
              .build();
      offset += r.getChunk().size();
      sentAny = true;
      return r;
    }

    @Override
    protected boolean isLast(GetDocumentResponse m) {
      return m.getOffset() + m.getChunk().size() >= size;
    }

    @Override
    protected void onClosed() {
      try {
        file.close();
      } catch (IOException ignored) {
        // read-only
      }
    }
  }
}
