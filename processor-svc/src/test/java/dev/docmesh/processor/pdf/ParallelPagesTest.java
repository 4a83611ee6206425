package dev.docmesh.processor.pdf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.docmesh.docgen.Corpus;
import dev.docmesh.processor.spi.ProcessingContext;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A large document read on the caller's thread and a lent one: same pages, same order. */
class ParallelPagesTest {
  private static final byte[] LARGE = Corpus.read(Corpus.LARGE);
  private final ExecutorService idle = Executors.newSingleThreadExecutor();

  @AfterEach
  void stop() {
    idle.shutdownNow();
  }

  @Test
  void bothThreadsReadPagesAndTheResultIsInPageOrderWithProgressCountingUp() throws Exception {
    Context context = new Context(true);
    Set<String> readers = ConcurrentHashMap.newKeySet();
    List<String> pages;
    try (PDDocument doc = context.openPdf()) {
      pages =
          ParallelPages.read(
              context,
              doc,
              d -> {
                PDFTextStripper stripper = new PDFTextStripper();
                return page -> {
                  readers.add(Thread.currentThread().getName());
                  stripper.setStartPage(page);
                  stripper.setEndPage(page);
                  return stripper.getText(d);
                };
              });
    }
    assertThat(context.lent).isTrue();
    assertThat(readers).hasSize(2);
    assertThat(pages).containsExactlyElementsOf(serialText());
    assertThat(context.progress)
        .containsExactlyElementsOf(LongStream.rangeClosed(1, 117).boxed().toList());
  }

  @Test
  void pdfTextOnTwoThreadsEqualsPdfTextOnOne() throws Exception {
    Context parallel = new Context(true);
    Context serial = new Context(false);
    try (PDDocument a = parallel.openPdf();
        PDDocument b = serial.openPdf()) {
      assertThat(TextProcessor.extract(a, parallel, false))
          .isEqualTo(TextProcessor.extract(b, serial, false));
    }
    assertThat(parallel.lent).isTrue();
    assertThat(serial.lent).isFalse();
  }

  @Test
  void aFailureOnTheLentThreadEndsTheRead() throws Exception {
    Context context = new Context(true);
    String caller = Thread.currentThread().getName();
    try (PDDocument doc = context.openPdf()) {
      assertThatThrownBy(
              () ->
                  ParallelPages.read(
                      context,
                      doc,
                      d -> {
                        PDFTextStripper stripper = new PDFTextStripper();
                        return page -> {
                          if (!Thread.currentThread().getName().equals(caller)) {
                            throw new IOException("damaged page " + page);
                          }
                          stripper.setStartPage(page);
                          stripper.setEndPage(page);
                          return stripper.getText(d); // slow enough for the lent thread to start
                        };
                      }))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("damaged page");
    }
  }

  @Test
  void aLentThreadGivesWayWhenOtherCallsWait() throws Exception {
    Context context = new Context(true);
    context.othersWaiting.set(true);
    List<String> threads = Collections.synchronizedList(new ArrayList<>());
    try (PDDocument doc = context.openPdf()) {
      List<Integer> pages =
          ParallelPages.read(
              context,
              doc,
              d ->
                  page -> {
                    threads.add(Thread.currentThread().getName());
                    return page;
                  });
      assertThat(pages).hasSize(117).isSorted();
    }
    assertThat(threads).containsOnly(Thread.currentThread().getName());
  }

  private static List<String> serialText() throws IOException {
    List<String> text = new ArrayList<>();
    try (PDDocument doc = Loader.loadPDF(LARGE)) {
      PDFTextStripper stripper = new PDFTextStripper();
      for (int p = 1; p <= doc.getNumberOfPages(); p++) {
        stripper.setStartPage(p);
        stripper.setEndPage(p);
        text.add(stripper.getText(doc));
      }
    }
    return text;
  }

  /** A call on the large document whose service has one idle thread to lend, or none. */
  private final class Context implements ProcessingContext {
    final boolean lends;
    final AtomicBoolean othersWaiting = new AtomicBoolean();
    final List<Long> progress = Collections.synchronizedList(new ArrayList<>());
    volatile boolean lent;

    Context(boolean lends) {
      this.lends = lends;
    }

    @Override
    public boolean lendIdleThread(Runnable part) {
      if (!lends || lent) {
        return false;
      }
      lent = true;
      idle.execute(part);
      return true;
    }

    @Override
    public boolean othersWaiting() {
      return othersWaiting.get();
    }

    @Override
    public ProcessRequest request() {
      return ProcessRequest.getDefaultInstance();
    }

    @Override
    public byte[] content() {
      return LARGE;
    }

    @Override
    public String mediaType() {
      return "application/pdf";
    }

    @Override
    public boolean booleanOption(String key, boolean defaultValue) {
      return defaultValue;
    }

    @Override
    public Optional<StageOutput> upstream(String processor) {
      return Optional.empty();
    }

    @Override
    public void progress(long done, long total, String unit, String message) {
      assertThat(message).isEqualTo("page " + done + " of " + total);
      progress.add(done);
    }

    @Override
    public void checkpoint() {}

    @Override
    public PDDocument openPdf() throws IOException {
      return Loader.loadPDF(LARGE);
    }

    @Override
    public long maxDecodedStreamBytes() {
      return 64L << 20;
    }
  }
}
