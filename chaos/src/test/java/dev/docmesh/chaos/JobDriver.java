package dev.docmesh.chaos;

import com.google.protobuf.ByteString;
import com.google.rpc.RetryInfo;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.SubmitJobRequest;
import dev.docmesh.proto.orchestrator.v1.SubmitJobResponse;
import dev.docmesh.proto.orchestrator.v1.UploadDocumentRequest;
import dev.docmesh.proto.orchestrator.v1.UploadDocumentResponse;
import dev.docmesh.proto.orchestrator.v1.UploadHeader;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Submits corpus PDFs as a client would: every submit carries a request_id, and a submit that did
 * not get an answer (UNAVAILABLE, DEADLINE_EXCEEDED) is retried with the same id, so a job is
 * acknowledged once however often its submit was sent. Records every job id the orchestrator
 * acknowledged — the jobs the invariants then hold it to.
 */
final class JobDriver {
  /**
   * The corpus files every scenario cycles through: all valid, unencrypted PDFs that must SUCCEED.
   */
  static final List<String> GOOD =
      List.of(
          "pdflatex-4-pages.pdf",
          "habibi.pdf",
          "google-doc-document.pdf",
          "libre-office-link.pdf",
          "002-trivial-libre-office-writer.pdf",
          "minimal-document.pdf",
          "reportlab-overlay.pdf",
          "pdfkit.pdf",
          "pdflatex-image.pdf",
          "mistitled_outlines_example.pdf");

  /** 117 pages: a task long enough to be caught mid-flight. */
  static final String LARGE = "GeoTopo-komprimiert.pdf";

  record Doc(String name, ByteString bytes) {}

  private final OrchestratorServiceGrpc.OrchestratorServiceBlockingStub stub;
  private final String prefix;
  private final boolean retryWhenFull;
  final Set<String> acknowledged = new ConcurrentSkipListSet<>();
  final AtomicInteger retries = new AtomicInteger();
  final AtomicInteger deduplicated = new AtomicInteger();

  /**
   * Submits refused with RESOURCE_EXHAUSTED (never acknowledged), and how many of them carried
   * RetryInfo.
   */
  final AtomicInteger refused = new AtomicInteger();

  final AtomicInteger refusedWithRetryInfo = new AtomicInteger();
  final AtomicInteger gaveUp = new AtomicInteger();

  /**
   * Every error answer seen, by code and description, with a count (reported, and checked by some
   * scenarios).
   */
  final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();

  private final AtomicInteger next = new AtomicInteger();

  /**
   * When set, RESOURCE_EXHAUSTED is retried after this instead of the RetryInfo delay (to keep a
   * mesh saturated).
   */
  volatile Duration fullRetryDelay;

  /** Documents uploaded beforehand (name to document id): their jobs are submitted by id. */
  private final Map<String, String> uploaded = new ConcurrentHashMap<>();

  private final OrchestratorServiceGrpc.OrchestratorServiceStub async;
  private final ExecutorService pool = Executors.newFixedThreadPool(4);
  private final List<Future<?>> running = new ArrayList<>();

  JobDriver(Mesh mesh, String scenario, boolean retryWhenFull) {
    this.stub = OrchestratorServiceGrpc.newBlockingStub(mesh.orchestratorChannel());
    this.async = OrchestratorServiceGrpc.newStub(mesh.orchestratorChannel());
    this.prefix = scenario + "-" + Long.toHexString(System.nanoTime()) + "-";
    this.retryWhenFull = retryWhenFull;
  }

  static Path corpus() {
    return dev.docmesh.docgen.Corpus.pdfDir();
  }

  static Doc load(String name) {
    try {
      return new Doc(name, ByteString.copyFrom(Files.readAllBytes(corpus().resolve(name))));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<Doc> good() {
    return GOOD.stream().map(JobDriver::load).toList();
  }

  /**
   * Submits {@code docs} in order on {@code concurrency} threads, each as soon as the last
   * answered.
   */
  JobDriver submitAsync(List<Doc> docs, int concurrency) {
    AtomicInteger cursor = new AtomicInteger();
    for (int t = 0; t < concurrency; t++) {
      running.add(
          pool.submit(
              () -> {
                int i;
                while ((i = cursor.getAndIncrement()) < docs.size()) {
                  submit(docs.get(i));
                }
              }));
    }
    return this;
  }

  /**
   * Open loop: one submit every {@code interval} for {@code count} submits, whatever the answers.
   */
  JobDriver submitAtRate(List<Doc> docs, int count, Duration interval) {
    running.add(
        pool.submit(
            () -> {
              long start = System.nanoTime();
              List<Future<?>> mine = new ArrayList<>();
              ExecutorService senders = Executors.newFixedThreadPool(8);
              for (int i = 0; i < count; i++) {
                long due = start + i * interval.toNanos();
                long wait = due - System.nanoTime();
                if (wait > 0) {
                  try {
                    TimeUnit.NANOSECONDS.sleep(
                        wait); // pacing an open-loop load, not waiting for a condition
                  } catch (InterruptedException e) {
                    return;
                  }
                }
                Doc d = docs.get(i % docs.size());
                mine.add(senders.submit(() -> submit(d)));
              }
              for (Future<?> f : mine) {
                try {
                  f.get();
                } catch (Exception ignored) {
                  // counted in submit
                }
              }
              senders.shutdown();
            }));
    return this;
  }

  void awaitSubmitted(Duration within) {
    for (Future<?> f : running) {
      try {
        f.get(within.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        throw new AssertionError("submits did not finish within " + within, e);
      }
    }
  }

  /**
   * Stores the documents with UploadDocument now; their later submits name them by id (no blob
   * write then).
   */
  void upload(List<Doc> docs) {
    for (Doc d : docs) {
      java.util.concurrent.CompletableFuture<String> id =
          new java.util.concurrent.CompletableFuture<>();
      io.grpc.stub.StreamObserver<UploadDocumentRequest> up =
          async
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .uploadDocument(
                  new io.grpc.stub.StreamObserver<UploadDocumentResponse>() {
                    @Override
                    public void onNext(UploadDocumentResponse r) {
                      id.complete(r.getDocumentId());
                    }

                    @Override
                    public void onError(Throwable t) {
                      id.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                  });
      up.onNext(
          UploadDocumentRequest.newBuilder()
              .setHeader(
                  UploadHeader.newBuilder().setFilename(d.name()).setMediaType("application/pdf"))
              .build());
      up.onNext(UploadDocumentRequest.newBuilder().setChunk(d.bytes()).build());
      up.onCompleted();
      uploaded.put(d.name(), id.join());
    }
  }

  void submit(Doc doc) {
    String requestId = prefix + next.getAndIncrement();
    SubmitJobRequest.Builder b =
        SubmitJobRequest.newBuilder()
            .setFilename(doc.name())
            .setMediaType("application/pdf")
            .setRequestId(requestId);
    String documentId = uploaded.get(doc.name());
    if (documentId != null) {
      b.setDocumentId(documentId);
    } else {
      b.setContent(doc.bytes());
    }
    SubmitJobRequest req = b.build();
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    boolean first = true;
    while (true) {
      if (!first) {
        retries.incrementAndGet();
      }
      first = false;
      try {
        SubmitJobResponse r = stub.withDeadlineAfter(15, TimeUnit.SECONDS).submitJob(req);
        acknowledged.add(r.getJob().getId());
        if (r.getDeduplicated()) {
          deduplicated.incrementAndGet();
        }
        return;
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        String desc = String.valueOf(e.getStatus().getDescription());
        errors
            .computeIfAbsent(
                code + " [" + reason(e) + "]: " + desc.substring(0, Math.min(desc.length(), 90)),
                k -> new AtomicInteger())
            .incrementAndGet();
        long delay = 200;
        if (code == Status.Code.RESOURCE_EXHAUSTED) {
          RetryInfo retry = retryInfo(e);
          if (!retryWhenFull) {
            refused.incrementAndGet();
            if (retry != null) {
              refusedWithRetryInfo.incrementAndGet();
            }
            return;
          }
          if (fullRetryDelay != null) {
            delay = fullRetryDelay.toMillis();
          } else if (retry != null) {
            delay =
                Math.max(
                    delay,
                    retry.getRetryDelay().getSeconds() * 1000
                        + retry.getRetryDelay().getNanos() / 1_000_000);
          }
        } else if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED) {
          gaveUp.incrementAndGet();
          return;
        }
        if (System.nanoTime() > giveUp) {
          gaveUp.incrementAndGet();
          return;
        }
        try {
          Thread.sleep(delay); // client retry backoff
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  static RetryInfo retryInfo(StatusRuntimeException e) {
    com.google.rpc.Status s = StatusProto.fromThrowable(e);
    if (s == null) {
      return null;
    }
    for (com.google.protobuf.Any a : s.getDetailsList()) {
      if (a.is(RetryInfo.class)) {
        try {
          return a.unpack(RetryInfo.class);
        } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
          return null;
        }
      }
    }
    return null;
  }

  /** The ErrorInfo reason of a failed call, or "" (no ErrorInfo). */
  static String reason(StatusRuntimeException e) {
    return errorInfo(e).map(com.google.rpc.ErrorInfo::getReason).orElse("");
  }

  static java.util.Optional<com.google.rpc.ErrorInfo> errorInfo(Throwable e) {
    com.google.rpc.Status s = StatusProto.fromThrowable(e);
    if (s != null) {
      for (com.google.protobuf.Any a : s.getDetailsList()) {
        if (a.is(com.google.rpc.ErrorInfo.class)) {
          try {
            return java.util.Optional.of(a.unpack(com.google.rpc.ErrorInfo.class));
          } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            return java.util.Optional.empty();
          }
        }
      }
    }
    return java.util.Optional.empty();
  }

  void close() {
    pool.shutdownNow();
  }
}
