package dev.docmesh.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code java -jar docmesh-bench.jar procs [--passes N] [--warmup N] [--mesh-warmup N]
 * [--max-warmup N] [--jit-settled PERCENT] [--worker-slots N] [--root DIR] [--corpus DIR] [--out
 * FILE.md] [--jfr DIR] [--smoke] [--mesh-only | --text-only]}: only the processor and mesh figures
 * of issue 12 (pdf.text vs PDFBox and vs Tika, the mesh vs its processors, CPU in orchestrator +
 * worker vs processor), with every side warmed up until its JIT has settled ({@link JitWarmup}: at
 * least the warm-up passes given, then on until a pass spends at most {@code --jit-settled} % of
 * the CPU on compiling, at most {@code --max-warmup} passes), and optionally a JFR recording of
 * every JVM over the measured passes only. {@code --root} may point at a copy of older service jars
 * ({@code DIR/<name>-svc/target/<name>-svc.jar}) to compare before and after with one harness.
 */
final class ProcFigures {
  private ProcFigures() {}

  static void main(String[] args) throws Exception {
    int passes = 5;
    // pdf.text: after the 46-86 passes that the settle rule alone gave (2026-11-30), processor-svc
    // still spent 13-20 % of its CPU compiling in the measured passes, and 1.55-1.70 CPU-ms a page;
    // after 150, 5-7 % and 1.36-1.41 ms. PDFBox code run once a font or a document (font parsers,
    // PDFont constructors) reaches C2 only after thousands of documents, long after the per-pass
    // share first dips under the limit.
    int warmup = 150;
    // the mesh, likewise: code run once a job reaches C2 after thousands of jobs (20 a pass).
    // After 117-122 passes (25, then the rule) the orchestrator and worker still compiled in the
    // measured passes, and CPU orchestrator + worker / processor was 0.125-0.159 with that included
    // (0.105-0.119 without); after 300, at most 2 % of their CPU: 0.118 included, 0.101 without.
    Integer meshWarmup = null;
    Integer maxWarmup = null;
    double jitSettled = JitWarmup.SETTLED;
    Integer workerSlots = null;
    boolean smoke = false;
    boolean meshOnly = false;
    boolean textOnly = false;
    Path root = Path.of(System.getProperty("docmesh.root", ".")).toAbsolutePath().normalize();
    Path corpusDir = null;
    Path out = null;
    Path jfr = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--passes" -> passes = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--mesh-warmup" -> meshWarmup = Integer.parseInt(args[++i]);
        case "--max-warmup" -> maxWarmup = Integer.parseInt(args[++i]);
        case "--jit-settled" -> jitSettled = Double.parseDouble(args[++i]) / 100;
        case "--worker-slots" -> workerSlots = Integer.parseInt(args[++i]);
        case "--root" -> root = Path.of(args[++i]).toAbsolutePath().normalize();
        case "--corpus" -> corpusDir = Path.of(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        case "--jfr" -> jfr = Path.of(args[++i]).toAbsolutePath();
        case "--smoke" -> smoke = true;
        case "--mesh-only" -> meshOnly = true;
        case "--text-only" -> textOnly = true;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (smoke) {
      passes = 1;
      warmup = 1;
      maxWarmup = 1;
    }
    int meshWarm = meshWarmup != null ? meshWarmup : smoke ? 1 : 300;
    int textMax = Math.max(warmup, maxWarmup != null ? maxWarmup : 2 * JitWarmup.MAX_PASSES);
    int meshMax = Math.max(meshWarm, maxWarmup != null ? maxWarmup : 3 * JitWarmup.MAX_PASSES);
    Corpus corpus =
        Corpus.load(
            corpusDir != null ? corpusDir : dev.docmesh.docgen.Corpus.pdfDir(),
            smoke ? 3 : Integer.MAX_VALUE);
    String started =
        ZonedDateTime.now(ZoneOffset.UTC)
            .format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'"));
    String loadBefore = BenchMain.loadAverage();
    System.out.printf(
        Locale.ROOT,
        "docmesh-bench procs: %d documents, %d pages, %d passes after %d+ (pdf.text) and %d+ (mesh)"
            + " warm-up passes (until JIT <= %.0f %% of CPU, at most %d / %d), jars under %s, load"
            + " %s%n",
        corpus.docs().size(),
        corpus.pages(),
        passes,
        warmup,
        meshWarm,
        jitSettled * 100,
        textMax,
        meshMax,
        root,
        loadBefore);
    int slots = 2;
    // processor threads and direct callers stay at the cores; the worker may keep more in flight
    int meshSlots = workerSlots != null ? workerSlots : slots;
    Figure text1 = TextFigures.throughput(1);
    Figure text2 = TextFigures.throughput(2);
    Figure text1Cpu = TextFigures.cpuPerPage(1);
    Figure text2Cpu = TextFigures.cpuPerPage(2);
    Figure tika =
        new Figure(
            "pdf.text via processor-svc, 2 callers",
            "pages/s",
            "Tika 3.2.2 AutoDetectParser in-process, 2 threads",
            false);
    Figure pipeline = MeshFigures.pipeline(meshSlots, slots);
    Figure cpu = MeshFigures.cpuPerDocument();
    Figure orchCpu =
        new Figure("CPU per document in orchestrator", "CPU-s/doc", "in processor-svc", true);
    Figure workerCpu =
        new Figure("CPU per document in worker", "CPU-s/doc", "in processor-svc", true);
    Figure noJit =
        new Figure(
            "CPU per document in orchestrator + worker, JIT compiling excluded",
            "CPU-s/doc",
            "in processor-svc, JIT compiling excluded",
            true);
    List<Figure> figures =
        List.of(text1, text2, text1Cpu, text2Cpu, tika, pipeline, cpu, orchCpu, workerCpu, noJit);

    int textWarmed;
    int meshWarmed;
    String textJit = "";
    String perThread;
    try (WorkDir workDir = WorkDir.create("docmesh-bench-procs");
        Profiles profiles = new Profiles(jfr);
        ServiceProcess processor =
            ServiceProcess.start(
                root,
                "processor",
                Map.of("DOCMESH_PROCESSOR_THREADS", Integer.toString(slots)),
                workDir.path())) {
      if (meshOnly) {
        textWarmed =
            0; // A/B runs of the orchestrator and worker: the mesh warm-up warms the processor
      } else {
        System.out.println("-- pdf.text: processor-svc vs PDFBox and Tika in-process");
        TextFigures text = new TextFigures(corpus, processor);
        text.warmUp(warmup / 2, true);
        profiles.arm(processor);
        // the in-process sides (PDFBox, Tika) run in this JVM: its JIT must settle too
        textWarmed =
            warmup / 2
                + JitWarmup.run(
                    "pdf.text",
                    warmup - warmup / 2,
                    textMax - warmup / 2,
                    jitSettled,
                    () -> text.warmUp(1, true),
                    processor.pid(),
                    ProcessHandle.current().pid());
        profiles.start("text", processor);
        ProcCpu.JitMark service = ProcCpu.JitMark.now(processor.pid());
        ProcCpu.JitMark harness = ProcCpu.JitMark.now(ProcessHandle.current().pid());
        for (int p = 0; p < passes; p++) {
          text.measure(text1, text1Cpu, 1, p);
          text.measure(text2, text2Cpu, 2, p);
          text.measureTika(tika, 2, p);
        }
        profiles.stop(processor);
        textJit =
            String.format(
                Locale.ROOT,
                "JIT compiling in the measured pdf.text passes: %.1f %% of processor-svc's CPU,"
                    + " %.1f %% of the harness JVM's (PDFBox, Tika)",
                100 * service.shareSince(),
                100 * harness.shareSince());
        System.out.println("  " + textJit);
      }
      if (textOnly) {
        meshWarmed = 0; // A/B runs of processor-svc: the pdf.text rows alone
        perThread = "";
      } else {
        try (ServiceProcess orchestrator = BenchMain.startOrchestrator(root, workDir.path());
            ServiceProcess worker =
                MeshFigures.startWorker(root, workDir.path(), orchestrator, processor, meshSlots)) {
          System.out.println("-- pipeline efficiency and CPU per document");
          MeshFigures mesh = new MeshFigures(corpus, orchestrator, worker, processor, slots);
          mesh.warmUp(meshWarm / 2);
          profiles.arm(orchestrator, worker);
          meshWarmed =
              meshWarm / 2
                  + JitWarmup.run(
                      "mesh",
                      meshWarm - meshWarm / 2,
                      meshMax - meshWarm / 2,
                      jitSettled,
                      () -> mesh.warmUp(1),
                      orchestrator.pid(),
                      worker.pid());
          profiles.start("mesh", orchestrator, worker, processor);
          for (int p = 0; p < passes; p++) {
            mesh.measure(pipeline, cpu, orchCpu, workerCpu, noJit, p);
          }
          profiles.stop(orchestrator, worker, processor);
          perThread = mesh.perThread();
        }
      }
    }
    String warmed =
        String.format(
            Locale.ROOT,
            "%d (pdf.text) and %d (mesh) warm-up passes, until JIT <= %.0f %% of the CPU%s",
            textWarmed,
            meshWarmed,
            jitSettled * 100,
            textJit.isEmpty() ? "" : "; " + textJit);
    String md = markdown(figures, corpus, passes, warmed, root, started, loadBefore) + perThread;
    System.out.println();
    System.out.println(md);
    if (out != null) {
      Files.writeString(out, md);
    }
    System.exit(0);
  }

  private static String markdown(
      List<Figure> figures,
      Corpus corpus,
      int passes,
      String warmed,
      Path root,
      String started,
      String loadBefore)
      throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "docmesh-bench procs %s, jars under %s: %d cores, %d documents / %d pages, %d passes after"
                + " %s; load average (1/5/15 min) before %s, after %s%n%n",
            started,
            root,
            Runtime.getRuntime().availableProcessors(),
            corpus.docs().size(),
            corpus.pages(),
            passes,
            warmed,
            loadBefore,
            BenchMain.loadAverage()));
    sb.append("| figure | value | limit (same run) | ratio |\n|---|---|---|---|\n");
    List<String> rows = new ArrayList<>();
    for (Figure f : figures) {
      if (!f.empty()) {
        rows.add(f.markdownRow());
      }
    }
    sb.append(String.join("\n", rows)).append('\n');
    return sb.toString();
  }
}
