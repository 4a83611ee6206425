package dev.docmesh.bench;

import com.google.protobuf.ByteString;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * {@code seed HOST:PORT FILE.pdf}: submits one pdf-standard job, waits for its end and prints its
 * id — the job GetJob, GetJobResult and WatchJob scenarios read ({@code @JOB_ID@} in the configs).
 */
final class Seed {
  private Seed() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: seed HOST:PORT FILE.pdf");
      System.exit(2);
    }
    System.out.println(seed(args[0], Path.of(args[1])));
  }

  static String seed(String target, Path pdf) throws Exception {
    ManagedChannel ch = Clients.channel(target);
    try {
      return seed(ch, Files.readAllBytes(pdf), pdf.getFileName().toString());
    } finally {
      ch.shutdownNow();
    }
  }

  /** As {@link #seed(String, Path)}, over {@code ch}. */
  static String seed(ManagedChannel ch, byte[] pdf, String filename) {
    var stub = OrchestratorServiceGrpc.newBlockingStub(ch);
    String jobId =
        stub.withDeadlineAfter(60, TimeUnit.SECONDS)
            .submitJob(
                SubmitJobRequest.newBuilder()
                    .setContent(ByteString.copyFrom(pdf))
                    .setFilename(filename)
                    .setMediaType("application/pdf")
                    .setPipeline("pdf-standard")
                    .setRequestId("seed-" + UUID.randomUUID())
                    .build())
            .getJob()
            .getId();
    Iterator<WatchJobResponse> it =
        stub.withDeadlineAfter(5, TimeUnit.MINUTES)
            .watchJob(WatchJobRequest.newBuilder().setJobId(jobId).build());
    while (it.hasNext()) {
      JobEvent e = it.next().getEvent();
      if (e.getJobState() == JobState.JOB_STATE_SUCCEEDED) {
        return jobId;
      }
      if (e.getJobState() == JobState.JOB_STATE_FAILED
          || e.getJobState() == JobState.JOB_STATE_CANCELLED) {
        throw new IllegalStateException("seed job " + jobId + " ended " + e.getJobState());
      }
    }
    throw new IllegalStateException("seed job " + jobId + ": stream ended before the job");
  }
}
