package dev.docmesh.processor.pdf;

import dev.docmesh.processor.spi.ProcessingContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pdfbox.pdmodel.PDDocument;

/**
 * Reads a document page by page on the calling thread and, while the service has a processing
 * thread with nothing to do, on that thread too. A large document then uses the idle cores (one
 * caller on a two-core processor otherwise leaves one core idle for the whole document), while a
 * busy service reads it on one thread exactly as before. PDFBox documents are not thread-safe, so
 * the lent thread opens its own copy; both take the next page nobody has taken, and progress counts
 * the pages done, in order, from whichever thread finished one.
 *
 * @param <R> what one page yields
 */
final class ParallelPages<R> {
  /** Fewer pages left than this are not worth opening a second copy of the document for. */
  static final int MIN_PAGES_TO_SHARE = 8;

  /** Reads one page of one open document; each thread gets its own. */
  interface PageReader<R> {
    R read(int pageNumber) throws IOException;
  }

  /** Makes a reader for an open document (a guard, a stripper: per-document state). */
  interface Readers<R> {
    PageReader<R> open(PDDocument document) throws IOException;
  }

  private final ProcessingContext context;
  private final Readers<R> readers;
  private final int total;
  private final Object[] results;
  private final AtomicInteger next = new AtomicInteger(1);
  private final Object progressLock = new Object();
  private int done; // guarded by progressLock
  private Helper helper;

  private ParallelPages(ProcessingContext context, Readers<R> readers, int total) {
    this.context = context;
    this.readers = readers;
    this.total = total;
    this.results = new Object[total];
  }

  /** Every page of {@code document}, in page order, with one progress event per page. */
  static <R> List<R> read(ProcessingContext context, PDDocument document, Readers<R> readers)
      throws IOException {
    return new ParallelPages<>(context, readers, document.getNumberOfPages()).run(document);
  }

  @SuppressWarnings("unchecked")
  private List<R> run(PDDocument document) throws IOException {
    PageReader<R> reader = readers.open(document);
    boolean finished = false;
    try {
      while (true) {
        if (helper == null && total - next.get() + 1 >= MIN_PAGES_TO_SHARE) {
          Helper h = new Helper();
          if (context.lendIdleThread(h::run)) {
            helper = h;
          }
        }
        if (helper != null) {
          helper.rethrowFailure();
        }
        int page = next.getAndIncrement();
        if (page > total) {
          break;
        }
        readOne(reader, page);
      }
      if (helper != null) {
        helper.join();
      }
      finished = true;
    } finally {
      if (!finished && helper != null) {
        helper.stop(); // this call failed: the lent thread stops after its page
      }
    }
    List<R> pages = new ArrayList<>(total);
    for (Object r : results) {
      pages.add((R) r);
    }
    return pages;
  }

  private void readOne(PageReader<R> reader, int page) throws IOException {
    context.checkpoint();
    results[page - 1] = reader.read(page);
    synchronized (progressLock) {
      done++;
      context.progress(done, total, "page", "page " + done + " of " + total);
    }
  }

  /** The lent thread's share: its own copy of the document, pages until none is left. */
  private final class Helper {
    private static final int WAITING = 0;
    private static final int RUNNING = 1;
    private static final int CALLED_OFF = 2;

    private final AtomicInteger state = new AtomicInteger(WAITING);
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile boolean stopped;
    private volatile Throwable failure;

    void run() {
      if (!state.compareAndSet(WAITING, RUNNING)) {
        return; // it started too late: the caller's thread did every page
      }
      try (PDDocument copy = context.openPdf()) {
        PageReader<R> reader = readers.open(copy);
        while (!stopped && !context.othersWaiting()) {
          int page = next.getAndIncrement();
          if (page > total) {
            break;
          }
          readOne(reader, page);
        }
      } catch (Throwable t) {
        failure = t;
      } finally {
        ended.countDown();
      }
    }

    void rethrowFailure() throws IOException {
      Throwable t = failure;
      if (t == null) {
        return;
      }
      if (t instanceof IOException e) {
        throw e;
      }
      if (t instanceof RuntimeException e) {
        throw e;
      }
      if (t instanceof Error e) {
        throw e;
      }
      throw new UncheckedIOException(new IOException(t));
    }

    /** Waits for the page it is reading, unless it never started; then its failure, if any. */
    void join() throws IOException {
      if (state.compareAndSet(WAITING, CALLED_OFF)) {
        return;
      }
      try {
        ended.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while the lent thread finished its page", e);
      }
      rethrowFailure();
    }

    void stop() {
      stopped = true;
      state.compareAndSet(WAITING, CALLED_OFF);
    }
  }
}
