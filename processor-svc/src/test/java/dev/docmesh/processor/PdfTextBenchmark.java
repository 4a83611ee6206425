package dev.docmesh.processor;

import com.google.protobuf.ByteString;
import dev.docmesh.docgen.Corpus;
import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.media.MediaTypes;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.processor.pdf.PdfOpener;
import dev.docmesh.processor.pdf.TextProcessor;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The figure for the report, not a test: pages/s of pdf.text over the whole corpus through Process
 * on loopback, against the same TextProcessor called in-process, with 1 and 2 concurrent callers.
 * Each caller runs full corpus passes; 10 warm-up passes first (the JIT needs them, see
 * BUILD-NOTES), then the median of the measured passes. The two ways alternate pass by pass so that
 * load from other processes on the machine disturbs both alike.
 *
 * <p>Run: {@code java -cp target/test-classes:target/classes:<deps>
 * dev.docmesh.processor.PdfTextBenchmark [passes]}
 */
public final class PdfTextBenchmark {
  private static final int WARMUP = 10;

  private record Doc(String name, byte[] bytes, String password) {}

  interface Pass {
    int run(Doc doc) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    int passes = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    List<Doc> corpus = new ArrayList<>();
    for (String f : Corpus.files()) {
      corpus.add(
          new Doc(f, Corpus.read(f), f.equals(Corpus.ENCRYPTED) ? Corpus.ENCRYPTED_PASSWORD : ""));
    }
    ProcessorConfig config = ProcessorConfig.fromEnv(Env.of(Map.of()));
    PdfOpener opener = new PdfOpener(config);
    TextProcessor processor = new TextProcessor();
    Pass inProcess =
        doc -> {
          ProcessRequest request =
              ProcessRequest.newBuilder()
                  .setProcessor(TextProcessor.NAME)
                  .setPassword(doc.password())
                  .build();
          ProcessingCall call =
              new ProcessingCall(
                  request,
                  doc.bytes(),
                  MediaTypes.PDF,
                  System.nanoTime() + 60_000_000_000L,
                  opener,
                  config.maxStreamBytes(),
                  p -> {});
          return processor.process(call).getText().getPagesCount();
        };

    try (MeshServer server =
        ProcessorMain.start(Loopback.env(Map.of("DOCMESH_PROCESSOR_THREADS", "2")))) {
      ManagedChannel channel = Loopback.channel(server.grpcPort());
      ProcessorServiceGrpc.ProcessorServiceBlockingStub stub =
          ProcessorServiceGrpc.newBlockingStub(channel);
      Pass loopback =
          doc -> {
            Iterator<ProcessResponse> it =
                stub.process(
                    ProcessRequest.newBuilder()
                        .setProcessor(TextProcessor.NAME)
                        .setContent(ByteString.copyFrom(doc.bytes()))
                        .setPassword(doc.password())
                        .build());
            int pages = 0;
            while (it.hasNext()) {
              ProcessResponse r = it.next();
              if (r.hasResult()) {
                pages = r.getResult().getText().getPagesCount();
              }
            }
            return pages;
          };
      for (int callers : new int[] {1, 2}) {
        List<Double> local = new ArrayList<>();
        List<Double> remote = new ArrayList<>();
        // Alternate the two ways pass by pass, so load from other processes hits both alike.
        for (int p = 0; p < WARMUP + passes; p++) {
          double l = pass(inProcess, corpus, callers);
          double r = pass(loopback, corpus, callers);
          if (p >= WARMUP) {
            local.add(l);
            remote.add(r);
          }
        }
        report("in-process", callers, local);
        report("gRPC loopback", callers, remote);
      }
      channel.shutdownNow();
    }
  }

  /** Pages/s of one pass: every caller runs the whole corpus once, concurrently. */
  private static double pass(Pass pass, List<Doc> corpus, int callers) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      long start = System.nanoTime();
      List<Future<Integer>> done = new ArrayList<>();
      for (int c = 0; c < callers; c++) {
        done.add(
            pool.submit(
                () -> {
                  int pages = 0;
                  for (Doc doc : corpus) {
                    pages += pass.run(doc);
                  }
                  return pages;
                }));
      }
      int pages = 0;
      for (Future<Integer> f : done) {
        pages += f.get();
      }
      return pages / ((System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  private static void report(String how, int callers, List<Double> rates) {
    List<Double> sorted = rates.stream().sorted().toList();
    System.out.printf(
        "%-14s callers=%d  median %.0f pages/s  (min %.0f, max %.0f, %d passes)%n",
        how,
        callers,
        sorted.get(sorted.size() / 2),
        sorted.get(0),
        sorted.get(sorted.size() - 1),
        sorted.size());
  }
}
