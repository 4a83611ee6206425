package dev.docmesh.orchestrator.grpc;

import dev.docmesh.meshkit.grpc.Unary;
import dev.docmesh.meshkit.security.AuthContext;
import dev.docmesh.meshkit.security.Principal;
import dev.docmesh.orchestrator.Failure;
import dev.docmesh.orchestrator.Ids;
import dev.docmesh.orchestrator.engine.JobEngine;
import dev.docmesh.orchestrator.engine.NewJob;
import dev.docmesh.orchestrator.events.FirehoseWatcher;
import dev.docmesh.orchestrator.intake.DocumentIntake;
import dev.docmesh.orchestrator.model.JobRecord;
import dev.docmesh.orchestrator.pipeline.BuiltInPipelines;
import dev.docmesh.orchestrator.pipeline.PipelineCatalog;
import dev.docmesh.orchestrator.store.JobStore;
import dev.docmesh.proto.document.v1.DocumentRef;
import dev.docmesh.proto.orchestrator.v1.CancelJobRequest;
import dev.docmesh.proto.orchestrator.v1.CancelJobResponse;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobResponse;
import dev.docmesh.proto.orchestrator.v1.GetJobResultRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobResultResponse;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.ListJobsRequest;
import dev.docmesh.proto.orchestrator.v1.ListJobsResponse;
import dev.docmesh.proto.orchestrator.v1.ListPipelinesRequest;
import dev.docmesh.proto.orchestrator.v1.ListPipelinesResponse;
import dev.docmesh.proto.orchestrator.v1.ListWorkersRequest;
import dev.docmesh.proto.orchestrator.v1.ListWorkersResponse;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.Stage;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.SubmitJobResponse;
import dev.docmesh.proto.orchestrator.v1.UploadDocumentRequest;
import dev.docmesh.proto.orchestrator.v1.UploadDocumentResponse;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import dev.docmesh.proto.orchestrator.v1.WatchJobsRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobsResponse;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * OrchestratorService: checks every request, then hands it to the engine or the stores. The caller
 * ({@link AuthContext#current()}) owns the jobs it submits and sees only those unless it {@link
 * Principal#seesAllJobs() sees all}; someone else's job answers exactly as a missing one.
 */
public final class OrchestratorServiceImpl
    extends OrchestratorServiceGrpc.OrchestratorServiceImplBase {
  private static final int MAX_LABELS = 32;

  private final JobEngine engine;
  private final JobStore store;
  private final DocumentIntake intake;
  private final PipelineCatalog catalog;

  public OrchestratorServiceImpl(
      JobEngine engine, JobStore store, DocumentIntake intake, PipelineCatalog catalog) {
    this.engine = engine;
    this.store = store;
    this.intake = intake;
    this.catalog = catalog;
  }

  @Override
  public StreamObserver<UploadDocumentRequest> uploadDocument(
      StreamObserver<UploadDocumentResponse> response) {
    return new DocumentUpload(intake.upload(AuthContext.current().name()), response);
  }

  @Override
  public void submitJob(SubmitJobRequest req, StreamObserver<SubmitJobResponse> response) {
    Principal caller = AuthContext.current();
    respondWhenDurable(
        response,
        () -> {
          checkLabels(req.getLabelsMap(), "labels");
          if (req.getPriority() < -100 || req.getPriority() > 100) {
            throw new Failure.InvalidArgument("priority", "from -100 to 100");
          }
          if (req.getRequestId().length() > 128) {
            throw new Failure.InvalidArgument("request_id", "at most 128 characters");
          }
          String pipelineName;
          Pipeline pipeline;
          List<Stage> stages;
          if (req.hasInlinePipeline()) {
            stages = catalog.validate(req.getInlinePipeline(), "inline_pipeline");
            pipeline = req.getInlinePipeline();
            pipelineName = "inline";
          } else {
            pipelineName =
                req.getPipeline().isEmpty() ? BuiltInPipelines.PDF_STANDARD : req.getPipeline();
            pipeline = catalog.get(pipelineName, "pipeline");
            stages = catalog.stages(pipelineName, "pipeline");
          }
          engine.admit(caller.name(), req.getRequestId(), stages.size());
          DocumentRef document = storeDocument(req, caller);
          Map<String, String> trace = new HashMap<>();
          W3CTraceContextPropagator.getInstance().inject(Context.current(), trace, Map::put);
          return engine
              .submit(
                  new NewJob(
                      document,
                      pipelineName,
                      pipeline,
                      stages,
                      req.getLabelsMap(),
                      req.getPriority(),
                      req.getRequestId(),
                      req.getPassword(),
                      trace.getOrDefault("traceparent", ""),
                      trace.getOrDefault("tracestate", ""),
                      caller.name()))
              .thenApply(
                  r ->
                      SubmitJobResponse.newBuilder()
                          .setJob(r.job())
                          .setDeduplicated(r.deduplicated())
                          .build());
        });
  }

  private DocumentRef storeDocument(SubmitJobRequest req, Principal caller) throws IOException {
    return switch (req.getDocumentCase()) {
      case CONTENT ->
          intake.inline(
              req.getContent().asReadOnlyByteBuffer(), req.getFilename(), req.getMediaType());
      case DOCUMENT_ID -> {
        String id = Ids.checkDocumentId("document_id", req.getDocumentId());
        // a document the caller neither uploaded nor sees through a job of its own is missing to it
        if (!caller.seesAllJobs() && !store.mayUseDocument(id, caller.name())) {
          throw new Failure.NotFound("document", id);
        }
        yield intake.stored(id, req.getFilename(), req.getMediaType());
      }
      default ->
          throw new Failure.InvalidArgument(
              "document_id", "one of document_id or content is required");
    };
  }

  static void checkLabels(Map<String, String> labels, String field) {
    if (labels.size() > MAX_LABELS) {
      throw new Failure.InvalidArgument(field, "at most " + MAX_LABELS + " labels");
    }
    for (Map.Entry<String, String> l : labels.entrySet()) {
      if (l.getKey().isEmpty() || l.getKey().length() > 63) {
        throw new Failure.InvalidArgument(
            field, "label keys are 1 to 63 characters: '" + l.getKey() + "'");
      }
      if (l.getValue().length() > 255) {
        throw new Failure.InvalidArgument(
            field + "[" + l.getKey() + "]", "label values are at most 255 characters");
      }
    }
  }

  @Override
  public void getJob(GetJobRequest req, StreamObserver<GetJobResponse> response) {
    Principal caller = AuthContext.current();
    respond(
        response,
        () -> GetJobResponse.newBuilder().setJob(visibleJob(req.getJobId(), caller)).build());
  }

  /**
   * The job named by {@code jobId} when {@code caller} may see it; otherwise the very NotFound a
   * missing job gets, so a job id is no oracle for other principals' jobs.
   */
  private Job visibleJob(String jobId, Principal caller) {
    String id = Ids.checkJobId("job_id", jobId);
    Job job = engine.job(id);
    if (!caller.mayAccessJobOf(job.getOwner())) {
      throw new Failure.NotFound("job", id);
    }
    return job;
  }

  @Override
  public void listJobs(ListJobsRequest req, StreamObserver<ListJobsResponse> response) {
    Optional<String> owner = ownFilter(AuthContext.current());
    respond(
        response,
        () -> {
          int size = req.getPageSize() == 0 ? 50 : req.getPageSize();
          if (size < 1 || size > 1000) {
            throw new Failure.InvalidArgument("page_size", "1 to 1000, or 0 for 50");
          }
          String after = req.getPageToken().isEmpty() ? "" : decodePageToken(req.getPageToken());
          Set<JobState> states = EnumSet.noneOf(JobState.class);
          for (JobState s : req.getStatesList()) {
            if (s == JobState.UNRECOGNIZED) {
              throw new Failure.InvalidArgument("states", "unknown state");
            }
            if (s != JobState.JOB_STATE_UNSPECIFIED) {
              states.add(s);
            }
          }
          checkLabels(req.getLabelsMap(), "labels");
          List<Job> jobs =
              store.list(states, req.getLabelsMap(), req.getPipeline(), owner, after, size + 1);
          engine.awaitDurable(); // what was just read must not be newer than what is on disk
          ListJobsResponse.Builder r = ListJobsResponse.newBuilder();
          r.addAllJobs(jobs.subList(0, Math.min(size, jobs.size())));
          if (jobs.size() > size) {
            r.setNextPageToken(
                Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(jobs.get(size - 1).getId().getBytes(StandardCharsets.UTF_8)));
          }
          return r.build();
        });
  }

  /**
   * Whose jobs a list or firehose shows: the caller's own, or (empty) every job for those who see
   * all.
   */
  private static Optional<String> ownFilter(Principal caller) {
    return caller.seesAllJobs() ? Optional.empty() : Optional.of(caller.name());
  }

  private static String decodePageToken(String token) {
    try {
      String id = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      return Ids.checkJobId("page_token", id);
    } catch (IllegalArgumentException | Failure.InvalidArgument e) {
      throw new Failure.InvalidArgument(
          "page_token", "not a token from ListJobsResponse.next_page_token");
    }
  }

  @Override
  public void cancelJob(CancelJobRequest req, StreamObserver<CancelJobResponse> response) {
    Principal caller = AuthContext.current();
    respond(
        response,
        () -> {
          String id = Ids.checkJobId("job_id", req.getJobId());
          if (req.getReason().length() > 1024) {
            throw new Failure.InvalidArgument("reason", "at most 1024 characters");
          }
          visibleJob(id, caller);
          return CancelJobResponse.newBuilder().setJob(engine.cancel(id, req.getReason())).build();
        });
  }

  @Override
  public void watchJob(WatchJobRequest req, StreamObserver<WatchJobResponse> response) {
    try {
      String id = Ids.checkJobId("job_id", req.getJobId());
      if (req.getAfterSequence() < 0) {
        throw new Failure.InvalidArgument("after_sequence", "must not be negative");
      }
      visibleJob(id, AuthContext.current());
      engine.watch(id, req.getAfterSequence(), new CallSink<>(response));
    } catch (RuntimeException e) {
      response.onError(FailureStatus.of(e));
    }
  }

  @Override
  public void watchJobs(WatchJobsRequest req, StreamObserver<WatchJobsResponse> response) {
    try {
      checkLabels(req.getLabelsMap(), "labels");
      engine.watchAll(
          new FirehoseWatcher.Filter(
              req.getStatesList(),
              req.getLabelsMap(),
              req.getIncludeProgress(),
              ownFilter(AuthContext.current())),
          new CallSink<>(response));
    } catch (RuntimeException e) {
      response.onError(FailureStatus.of(e));
    }
  }

  @Override
  public void getJobResult(GetJobResultRequest req, StreamObserver<GetJobResultResponse> response) {
    Principal caller = AuthContext.current();
    respond(
        response,
        () -> {
          Job job = visibleJob(req.getJobId(), caller);
          if (!JobRecord.isTerminal(job.getState())) {
            throw new Failure.JobNotFinished(
                "job "
                    + job.getId()
                    + " is "
                    + job.getState().name()
                    + "; its result is assembled when it ends");
          }
          return GetJobResultResponse.newBuilder()
              .setResult(JobResults.assemble(job, engine.outputs(job.getId())))
              .build();
        });
  }

  @Override
  public void listPipelines(
      ListPipelinesRequest req, StreamObserver<ListPipelinesResponse> response) {
    respond(
        response, () -> ListPipelinesResponse.newBuilder().addAllPipelines(catalog.all()).build());
  }

  @Override
  public void listWorkers(ListWorkersRequest req, StreamObserver<ListWorkersResponse> response) {
    respond(
        response, () -> ListWorkersResponse.newBuilder().addAllWorkers(engine.workers()).build());
  }

  /** Runs a unary call: its answer, or its failure as a gRPC status ({@link FailureStatus}). */
  static <T> void respond(StreamObserver<T> response, Unary.Body<T> call) {
    Unary.reply(response, call, FailureStatus::of);
  }

  /**
   * As {@link #respond}, for a call answered once its change is durable (by the thread whose fsync
   * made it so, not one parked per call).
   */
  static <T> void respondWhenDurable(
      StreamObserver<T> response, Unary.Body<? extends CompletionStage<T>> call) {
    Unary.replyWhenDone(response, call, FailureStatus::of);
  }
}
