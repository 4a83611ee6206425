package dev.docmesh.processor;

import dev.docmesh.meshkit.config.Env;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The processor's limits and pool, from {@code DOCMESH_*} variables (see the README's configuration
 * section).
 *
 * @param maxDocumentBytes larger documents fail with LIMIT_BYTES before any parsing
 * @param maxPages documents with more pages fail with LIMIT_PAGES
 * @param callTimeout per-call processing time, the steps of its {@code then} included; a sooner
 *     call deadline wins
 * @param pdfMainMemoryBytes PDFBox keeps up to this much of one document's buffers on the heap...
 * @param pdfTempBytes ...and up to this much more in temp files; beyond, LIMIT_MEMORY
 * @param maxStreamBytes a stream that decodes to more (a decompression bomb) fails with
 *     LIMIT_MEMORY
 * @param tempDir where those temp files go
 * @param threads processing threads (PDFBox work never runs on network threads)
 * @param queue calls waiting for a thread; beyond, RESOURCE_EXHAUSTED PROCESSOR_BUSY
 */
public record ProcessorConfig(
    long maxDocumentBytes,
    int maxPages,
    Duration callTimeout,
    long pdfMainMemoryBytes,
    long pdfTempBytes,
    long maxStreamBytes,
    Path tempDir,
    int threads,
    int queue) {

  public static final String MAX_DOCUMENT_BYTES = "DOCMESH_MAX_DOCUMENT_BYTES";
  public static final String MAX_PAGES = "DOCMESH_PROCESSOR_MAX_PAGES";
  public static final String CALL_TIMEOUT = "DOCMESH_PROCESSOR_TIMEOUT";
  public static final String PDF_MAIN_MEMORY = "DOCMESH_PDF_MAIN_MEMORY";
  public static final String PDF_TEMP_BYTES = "DOCMESH_PDF_TEMP_BYTES";
  public static final String PDF_MAX_STREAM_BYTES = "DOCMESH_PDF_MAX_STREAM_BYTES";
  public static final String PDF_TEMP_DIR = "DOCMESH_PDF_TEMP_DIR";
  public static final String THREADS = "DOCMESH_PROCESSOR_THREADS";
  public static final String QUEUE = "DOCMESH_PROCESSOR_QUEUE";

  public static ProcessorConfig fromEnv(Env env) {
    long mib = 1024L * 1024;
    return new ProcessorConfig(
        env.bytes(MAX_DOCUMENT_BYTES, 50 * mib, 1, Integer.MAX_VALUE),
        env.integer(MAX_PAGES, 2000, 1, 1_000_000),
        env.duration(CALL_TIMEOUT, Duration.ofSeconds(120)),
        env.bytes(PDF_MAIN_MEMORY, 64 * mib, 1 * mib, Long.MAX_VALUE / 4),
        env.bytes(PDF_TEMP_BYTES, 256 * mib, 0, Long.MAX_VALUE / 4),
        env.bytes(PDF_MAX_STREAM_BYTES, 64 * mib, 1024, Integer.MAX_VALUE),
        env.path(PDF_TEMP_DIR, Path.of(System.getProperty("java.io.tmpdir"), "docmesh-processor")),
        env.integer(THREADS, Runtime.getRuntime().availableProcessors(), 1, 256),
        env.integer(QUEUE, 64, 0, 100_000));
  }
}
