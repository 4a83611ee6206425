package dev.docmesh.cli;

import com.google.protobuf.ByteString;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.UploadDocumentRequest;
import dev.docmesh.proto.orchestrator.v1.UploadDocumentResponse;
import dev.docmesh.proto.orchestrator.v1.UploadHeader;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Uploads files, submits one job each, and optionally follows them to the end. */
@Command(name = "submit", description = "Upload documents and submit a job for each.")
final class SubmitCommand extends RemoteCommand {
  private static final int CHUNK = 256 * 1024;
  private static final long BAR_FROM_BYTES = 4L * 1024 * 1024;

  @Parameters(arity = "1..*", paramLabel = "FILE", description = "Documents to process.")
  List<Path> files;

  @Option(
      names = "--pipeline",
      description = "Pipeline name (default: the orchestrator's default, pdf-standard).")
  String pipeline = "";

  @Option(names = "--label", paramLabel = "k=v", description = "Label the jobs (repeatable).")
  Map<String, String> labels = new LinkedHashMap<>();

  @Option(names = "--priority", description = "Higher runs first (-100..100).")
  int priority;

  @Option(names = "--password", description = "Password of encrypted PDFs.")
  String password = "";

  @Option(names = "--watch", description = "Follow the jobs until they end; exit 1 if any failed.")
  boolean watch;

  @Override
  protected int run(Clients clients, PrintWriter out) throws Exception {
    for (Path f : files) {
      if (!Files.isRegularFile(f)) {
        throw new IllegalArgumentException("not a file: " + f);
      }
    }
    Map<Job, Path> jobs = new LinkedHashMap<>();
    for (Path f : files) {
      String documentId = upload(clients, f);
      Job job =
          clients
              .orchestrator()
              .submitJob(
                  SubmitJobRequest.newBuilder()
                      .setDocumentId(documentId)
                      .setFilename(f.getFileName().toString())
                      .setPipeline(pipeline)
                      .putAllLabels(labels)
                      .setPriority(priority)
                      .setPassword(password)
                      .setRequestId(UUID.randomUUID().toString())
                      .build())
              .getJob();
      jobs.put(job, f);
      if (global.json && !watch) {
        out.println(Output.jsonLine(job));
      } else if (!global.json) {
        out.printf("%s  %s  %s%n", job.getId(), ProgressView.name(job.getState()), f.getFileName());
      }
    }
    out.flush();
    if (!watch) {
      return Docmesh.OK;
    }
    return follow(clients, jobs, out, global.json);
  }

  static int follow(Clients clients, Map<Job, Path> jobs, PrintWriter out, boolean json)
      throws Exception {
    ProgressView view = json ? null : new ProgressView(out, Output.interactive());
    if (view != null) {
      jobs.forEach((job, f) -> view.add(job.getId(), f.getFileName().toString()));
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(8, jobs.size()));
    try {
      List<Future<JobState>> ends = new ArrayList<>();
      for (Job job : jobs.keySet()) {
        ends.add(
            pool.submit(
                () ->
                    new JobWatcher(clients.orchestrator())
                        .follow(
                            job.getId(),
                            0,
                            e -> {
                              if (view != null) {
                                view.on(e);
                              } else {
                                synchronized (out) {
                                  out.println(Output.jsonLine(e));
                                  out.flush();
                                }
                              }
                            })));
      }
      boolean allOk = true;
      for (Future<JobState> f : ends) {
        allOk &= f.get() == JobState.JOB_STATE_SUCCEEDED;
      }
      return allOk ? Docmesh.OK : Docmesh.JOB_FAILED;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Streams the file in chunks with its SHA-256, so the orchestrator can check what it stored. */
  static String upload(Clients clients, Path file) throws Exception {
    long size = Files.size(file);
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[CHUNK];
      for (int n; (n = in.read(buf)) > 0; ) {
        sha.update(buf, 0, n);
      }
    }
    CompletableFuture<UploadDocumentResponse> done = new CompletableFuture<>();
    var requests =
        clients
            .orchestratorAsync()
            .uploadDocument(
                new io.grpc.stub.StreamObserver<>() {
                  @Override
                  public void onNext(UploadDocumentResponse value) {
                    done.complete(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    boolean bar = size >= BAR_FROM_BYTES && Output.interactive();
    try (InputStream in = Files.newInputStream(file);
        ProgressBar pb =
            bar
                ? new ProgressBarBuilder()
                    .setTaskName("upload " + file.getFileName())
                    .setInitialMax(size)
                    .setUnit("MiB", 1 << 20)
                    .build()
                : null) {
      requests.onNext(
          UploadDocumentRequest.newBuilder()
              .setHeader(
                  UploadHeader.newBuilder()
                      .setFilename(file.getFileName().toString())
                      .setSizeBytes(size)
                      .setSha256(HexFormat.of().formatHex(sha.digest())))
              .build());
      byte[] buf = new byte[CHUNK];
      for (int n; (n = in.read(buf)) > 0; ) {
        requests.onNext(
            UploadDocumentRequest.newBuilder().setChunk(ByteString.copyFrom(buf, 0, n)).build());
        if (pb != null) {
          pb.stepBy(n);
        }
      }
      requests.onCompleted();
    } catch (RuntimeException e) {
      requests.onError(e);
      throw e;
    }
    try {
      return done.get(5, TimeUnit.MINUTES).getDocumentId();
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }
}
