package dev.docmesh.processor.pdf;

import dev.docmesh.processor.Failures;
import dev.docmesh.processor.spi.ProcessingFailure;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSObject;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.filter.Filter;
import org.apache.pdfbox.filter.FilterFactory;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.common.PDStream;

/**
 * Defuses decompression bombs before PDFBox meets them. PDFBox inflates page content as it parses
 * it, so a bomb there costs time in proportion to its decoded size (seconds per hundred MiB);
 * streams it reads whole (font programs, ToUnicode maps, XMP) would cost heap as well. Every stream
 * a page's processing decodes (content streams, form XObjects, fonts, ToUnicode maps) is first
 * decoded into a counting sink that stops at the limit. Each stream is checked once per document.
 */
public final class StreamGuard {
  private static final int MAX_DEPTH = 16;
  private static final long MAX_DEFLATE_RATIO = 1032;
  private static final long MAX_DEFLATE_SLACK = 64 * 1024;

  /** Page content decoded to at most this much is kept for PDFBox to parse. */
  static final long KEPT_CONTENT_BYTES = 8L * 1024 * 1024;

  /** Decoded form XObjects kept for one document, in all. */
  static final long KEPT_FORM_BYTES = 8L * 1024 * 1024;

  /** A plain Flate stream of at most this many raw bytes is inflated here in one pass. */
  private static final long MAX_PLAIN_FLATE_RAW = 4L * 1024 * 1024;

  private static final int INFLATE_BUFFER = 64 * 1024;

  /** A page whose content is an array of more streams than this is drawn by PDFBox alone. */
  private static final int MAX_KEPT_PARTS = 4096;

  private final long limit;
  private final Set<COSBase> checked = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Map<COSStream, byte[]> keptForms = new IdentityHashMap<>();
  private long keptFormBytes;

  public StreamGuard(long limit) {
    this.limit = limit;
  }

  /** Throws LIMIT_MEMORY when a stream the page draws with decodes to more than the limit. */
  public void checkPage(PDPage page) throws IOException {
    check(page, false);
  }

  /**
   * As {@link #checkPage}, and returns the page's content decoded, when it decoded cleanly to at
   * most {@value #KEPT_CONTENT_BYTES} bytes and PDFBox would parse the very same bytes; else null.
   * The page is then drawn from those bytes ({@link DecodedPage}): its content decoded once (here)
   * instead of twice. The forms the page draws are kept the same way ({@link #decodedForm}).
   */
  public byte[] checkPageKeepingContent(PDPage page) throws IOException {
    return check(page, true);
  }

  /** The page's streams checked; with {@code keep}, as {@link #checkPageKeepingContent}. */
  private byte[] check(PDPage page, boolean keep) throws IOException {
    byte[] kept = keep ? decodedContent(page) : null;
    Iterator<PDStream> contents = page.getContentStreams();
    while (contents.hasNext()) {
      check(contents.next().getCOSObject(), true);
    }
    checkResources(page.getCOSObject().getCOSDictionary(COSName.RESOURCES), 0, keep);
    return kept;
  }

  /**
   * The page's content as PDFBox would parse it, decoded here once, or null where this guard cannot
   * promise the same bytes. One stream that is Flate alone PDFBox inflates as it reads, without the
   * predictor a /DecodeParms names, so it is kept only without one; any other stream, and every
   * stream of an array, PDFBox decodes whole, and an array's streams it reads each followed by a
   * newline.
   */
  private byte[] decodedContent(PDPage page) throws IOException {
    COSBase contents = page.getCOSObject().getDictionaryObject(COSName.CONTENTS);
    if (contents instanceof COSStream single) {
      if (COSName.FLATE_DECODE.equals(single.getFilters())
          && single.getItem(COSName.DECODE_PARMS) != null) {
        return null;
      }
      return checkKeeping(single);
    }
    if (!(contents instanceof COSArray array) || array.size() > MAX_KEPT_PARTS) {
      return null;
    }
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getObject(i) instanceof COSStream part)) {
        return null;
      }
      byte[] decoded = checkKeeping(part);
      if (decoded == null || joined.size() + decoded.length + 1 > KEPT_CONTENT_BYTES) {
        return null;
      }
      joined.write(decoded, 0, decoded.length);
      joined.write('\n');
    }
    return joined.toByteArray();
  }

  /**
   * The content of a form XObject the page drawn by {@link #checkPageKeepingContent} uses, decoded
   * by this guard, or null (PDFBox then decodes it itself). Forms stay kept for the document, up to
   * {@value #KEPT_FORM_BYTES} bytes in all: one drawn on every page is decoded once, not per page.
   */
  public byte[] decodedForm(COSStream form) {
    return keptForms.get(form);
  }

  /** Checks a content stream not checked before and returns its kept content, else null. */
  private byte[] checkKeeping(COSStream stream) throws IOException {
    if (checked.contains(stream) || hasRepeatedFilter(stream)) {
      return null; // PDFBox drops a repeated filter; decoded here, the bytes would differ
    }
    return check(stream, true, true);
  }

  /** Throws LIMIT_MEMORY when this one stream decodes to more than the limit. */
  public void checkStream(COSStream stream) throws IOException {
    check(stream, false);
  }

  private void checkResources(COSDictionary resources, int depth, boolean keep) throws IOException {
    if (resources == null || depth > MAX_DEPTH || !checked.add(resources)) {
      return;
    }
    COSDictionary xobjects = resources.getCOSDictionary(COSName.XOBJECT);
    if (xobjects != null) {
      for (COSName name : xobjects.keySet()) {
        if (resolve(xobjects.getItem(name)) instanceof COSStream form
            && !COSName.IMAGE.equals(form.getCOSName(COSName.SUBTYPE))) {
          if (keep) {
            keepForm(form);
          } else {
            check(form, true);
          }
          checkResources(form.getCOSDictionary(COSName.RESOURCES), depth + 1, keep);
        }
      }
    }
    COSDictionary fonts = resources.getCOSDictionary(COSName.FONT);
    if (fonts != null) {
      for (COSName name : fonts.keySet()) {
        if (resolve(fonts.getItem(name)) instanceof COSDictionary font) {
          checkFont(font, depth + 1);
        }
      }
    }
  }

  private void checkFont(COSDictionary font, int depth) throws IOException {
    if (depth > MAX_DEPTH || !checked.add(font)) {
      return;
    }
    checkIfStream(font.getItem(COSName.TO_UNICODE));
    if (resolve(font.getItem(COSName.FONT_DESC)) instanceof COSDictionary descriptor) {
      for (COSName file : List.of(COSName.FONT_FILE, COSName.FONT_FILE2, COSName.FONT_FILE3)) {
        checkIfStream(descriptor.getItem(file));
      }
    }
    if (resolve(font.getItem(COSName.DESCENDANT_FONTS)) instanceof COSArray descendants) {
      for (int i = 0; i < Math.min(descendants.size(), 4); i++) {
        if (resolve(descendants.get(i)) instanceof COSDictionary descendant) {
          checkFont(descendant, depth + 1);
        }
      }
    }
    if (resolve(font.getItem(COSName.CHAR_PROCS)) instanceof COSDictionary procs) {
      for (COSName glyph : procs.keySet()) {
        checkIfStream(procs.getItem(glyph));
      }
    }
    checkResources(font.getCOSDictionary(COSName.RESOURCES), depth + 1, false);
  }

  private void checkIfStream(COSBase item) throws IOException {
    if (resolve(item) instanceof COSStream stream) {
      check(stream, false);
    }
  }

  private void keepForm(COSStream form) throws IOException {
    byte[] decoded = checkKeeping(form);
    if (decoded == null) {
      check(form, true); // checked all the same, when it was not before
    } else if (keptFormBytes + decoded.length <= KEPT_FORM_BYTES) {
      keptForms.put(form, decoded);
      keptFormBytes += decoded.length;
    }
  }

  private static boolean hasRepeatedFilter(COSStream stream) {
    List<COSName> filters = filtersOf(stream.getFilters());
    return filters.size() != Set.copyOf(filters).size();
  }

  private static COSBase resolve(COSBase item) {
    return item instanceof COSObject object ? object.getObject() : item;
  }

  private void check(COSStream stream, boolean content) throws IOException {
    check(stream, content, false);
  }

  /**
   * Content (page or form) is also scanned for hostile nesting as it is decoded. With {@code keep},
   * the decoded bytes when the stream decoded cleanly within {@value #KEPT_CONTENT_BYTES} bytes
   * (else null).
   */
  private byte[] check(COSStream stream, boolean content, boolean keep) throws IOException {
    if (!checked.add(stream)) {
      return null;
    }
    List<COSName> filters = filtersOf(stream.getFilters());
    if (!content && cannotExceedLimit(stream, filters)) {
      return null;
    }
    InputStream in = stream.createRawInputStream();
    if (filters.isEmpty()) {
      byte[] raw = null;
      boolean whole = false;
      if (content) {
        raw = in.readNBytes((int) Math.min(limit, Integer.MAX_VALUE - 8));
        NestingScanner.checkContent(raw, raw.length, NestingScanner.LIMIT);
        whole = in.read() < 0;
      }
      in.close();
      return keep && whole && raw.length <= KEPT_CONTENT_BYTES ? raw : null;
    }
    byte[] kept = null;
    try {
      for (int i = 0; i < filters.size(); i++) {
        Filter filter;
        try {
          filter = FilterFactory.INSTANCE.getFilter(filters.get(i));
        } catch (IOException e) {
          return null; // a filter PDFBox does not know either: it skips the stream as malformed
        }
        boolean last = i == filters.size() - 1;
        boolean keepHere = !last || keep;
        long keepAtMost = last && keep ? KEPT_CONTENT_BYTES : -1;
        boolean scanHere = last && content;
        BoundedSink sink = new BoundedSink(limit, keepHere, keepAtMost, scanHere);
        try {
          byte[] raw = filters.size() == 1 ? plainFlate(stream, filters.get(0), in) : null;
          if (raw == null) {
            filter.decode(in, sink, stream, i);
          } else if (!inflatedAsPdfBoxDoes(raw, sink)) {
            // damaged data: PDFBox's own decoder decides what its bytes are, from the start
            sink = new BoundedSink(limit, keepHere, keepAtMost, scanHere);
            filter.decode(new ByteArrayInputStream(raw), sink, stream, i);
          }
        } catch (LimitReached e) {
          // reported below
        } catch (ProcessingFailure e) {
          throw e; // hostile nesting found while decoding
        } catch (IOException | RuntimeException e) {
          sink.scanKept(); // what did decode, PDFBox will parse
          return null; // damaged data: PDFBox decides what that means when it reads the stream
        }
        if (sink.count > limit) {
          throw Failures.limit(
              Failures.LIMIT_MEMORY,
              "a stream decodes to more than " + limit + " bytes (decompression bomb)",
              sink.count,
              limit);
        }
        in.close();
        if (last) {
          kept = sink.scanKept();
          in = InputStream.nullInputStream();
        } else {
          in = new ByteArrayInputStream(sink.bytes.toByteArray());
        }
      }
    } finally {
      in.close();
    }
    return kept;
  }

  /**
   * The raw bytes of a stream PDFBox inflates as a plain Flate stream ({@code filter}, its only
   * one, is Flate; no /DecodeParms: no predictor), read from {@code in}, when they are few enough
   * to hold; else null, {@code in} untouched.
   */
  private static byte[] plainFlate(COSStream stream, COSName filter, InputStream in)
      throws IOException {
    if (!COSName.FLATE_DECODE.equals(filter)
        || stream.getItem(COSName.DECODE_PARMS) != null
        || stream.getItem(COSName.DP) != null
        || stream.getLength() > MAX_PLAIN_FLATE_RAW) {
      return null;
    }
    return in.readAllBytes();
  }

  /**
   * Inflates {@code raw} into {@code out} as PDFBox's {@code FlateFilterDecoderStream} does (the
   * two zlib header bytes skipped, raw Deflate, stopping at the end of the data or of the input),
   * in one pass without its 2 KiB reads, zeroed 4 KiB buffer and copies. False, with {@code out} to
   * be discarded, where PDFBox's decoder does something of its own (a format error: it keeps what
   * it can guess was decoded).
   */
  static boolean inflatedAsPdfBoxDoes(byte[] raw, OutputStream out) throws IOException {
    if (raw.length < 2) {
      return false;
    }
    Inflater inflater = new Inflater(true);
    try {
      inflater.setInput(raw, 2, raw.length - 2);
      byte[] buffer = new byte[INFLATE_BUFFER];
      while (!inflater.finished()) {
        int n;
        try {
          n = inflater.inflate(buffer);
        } catch (DataFormatException e) {
          return false;
        }
        if (n > 0) {
          out.write(buffer, 0, n);
        } else if (inflater.needsInput()) {
          return true; // cut short: PDFBox stops here too, with what was decoded
        } else {
          return false; // a preset dictionary, or no progress: PDFBox's decoder decides
        }
      }
      return true;
    } finally {
      inflater.end();
    }
  }

  /**
   * True for a Flate-only stream too short to reach the limit: Deflate expands at most about 1032:1
   * (and PNG/TIFF predictors do not grow it), so counting the raw bytes is enough and the stream (a
   * font program, a ToUnicode map) is inflated once, by PDFBox, not twice.
   */
  private boolean cannotExceedLimit(COSStream stream, List<COSName> filters) throws IOException {
    if (filters.size() != 1 || !COSName.FLATE_DECODE.equals(filters.get(0))) {
      return false;
    }
    long raw;
    try (InputStream in = stream.createRawInputStream()) {
      raw = in.transferTo(OutputStream.nullOutputStream());
    }
    return raw <= (limit - MAX_DEFLATE_SLACK) / MAX_DEFLATE_RATIO;
  }

  private static List<COSName> filtersOf(COSBase filters) {
    COSBase f = resolve(filters);
    if (f instanceof COSName name) {
      return List.of(name);
    }
    if (f instanceof COSArray array) {
      return array.toList().stream()
          .map(StreamGuard::resolve)
          .filter(COSName.class::isInstance)
          .map(COSName.class::cast)
          .toList();
    }
    return List.of();
  }

  private static final class LimitReached extends IOException {
    private static final long serialVersionUID = 1L;

    LimitReached() {
      super("decoded size limit reached", null);
    }
  }

  /**
   * Counts what a filter writes, keeps it only when a later filter needs it or it is content to
   * keep, stops past the limit. Content is scanned for nesting: what is kept in one pass at the end
   * ({@link NestingScanner#checkContent}), anything else as it arrives.
   */
  private static final class BoundedSink extends OutputStream {
    final long limit;
    final long keepAtMost; // < 0: keep everything up to the limit
    ByteArrayOutputStream bytes;
    final NestingScanner scanner;
    boolean scanKeptWhole;
    long count;

    BoundedSink(long limit, boolean keep, long keepAtMost, boolean content) {
      this.limit = limit;
      this.keepAtMost = keepAtMost;
      this.bytes = keep ? new ByteArrayOutputStream() : null;
      this.scanner = content ? NestingScanner.forContent(NestingScanner.LIMIT) : null;
      this.scanKeptWhole = content && keep;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      count += len;
      if (count > limit) {
        throw new LimitReached();
      }
      if (bytes != null) {
        if (keepAtMost >= 0 && count > keepAtMost) {
          if (scanKeptWhole) {
            byte[] so = bytes.toByteArray(); // too big to keep: scanned from here on as it comes
            scanner.feed(so, 0, so.length);
            scanKeptWhole = false;
          }
          bytes = null; // PDFBox decodes it again as it reads
        } else {
          bytes.write(b, off, len);
        }
      }
      if (scanner != null && !scanKeptWhole) {
        scanner.feed(b, off, len);
      }
    }

    /** What was kept (null when nothing is), scanned for nesting if it is content. */
    byte[] scanKept() {
      if (bytes == null) {
        return null;
      }
      byte[] kept = bytes.toByteArray();
      if (scanKeptWhole) {
        NestingScanner.checkContent(kept, kept.length, NestingScanner.LIMIT);
        scanKeptWhole = false;
      }
      return kept;
    }
  }
}
