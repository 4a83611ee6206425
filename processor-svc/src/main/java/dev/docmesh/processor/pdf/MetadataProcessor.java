package dev.docmesh.processor.pdf;

import com.google.protobuf.Timestamp;
import dev.docmesh.processor.spi.DocumentProcessor;
import dev.docmesh.processor.spi.ProcessingContext;
import dev.docmesh.proto.document.v1.Attachment;
import dev.docmesh.proto.document.v1.DocumentMetadata;
import dev.docmesh.proto.document.v1.FontInfo;
import dev.docmesh.proto.document.v1.PageInfo;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSObject;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentCatalog;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.PDDocumentNameDictionary;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.common.PDMetadata;
import org.apache.pdfbox.pdmodel.common.PDNameTreeNode;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.common.filespecification.PDComplexFileSpecification;
import org.apache.pdfbox.pdmodel.common.filespecification.PDEmbeddedFile;
import org.apache.pdfbox.pdmodel.interactive.form.PDAcroForm;
import org.apache.pdfbox.pdmodel.interactive.form.PDField;
import org.apache.pdfbox.pdmodel.interactive.form.PDTerminalField;

/**
 * {@code pdf.metadata}: the Info dictionary with XMP fallback, dates with their offsets as written,
 * pages, fonts, images, forms, annotations, attachments, outline, language and tags.
 */
public final class MetadataProcessor implements DocumentProcessor {
  public static final String NAME = "pdf.metadata";
  private static final int MAX_ATTACHMENTS = 1000;
  private static final int MAX_NAME_TREE_DEPTH = 32;

  @Override
  public ProcessorInfo info() {
    return PdfProcessorInfo.of(
        NAME,
        "Reads document information, XMP, dates, pages, fonts, images, forms, annotations, attachments and outline.",
        "metadata");
  }

  @Override
  public StageOutput process(ProcessingContext context) throws Exception {
    try (PDDocument document = context.openPdf()) {
      DocumentMetadata.Builder meta = DocumentMetadata.newBuilder();
      PDDocumentCatalog catalog = document.getDocumentCatalog();
      meta.setPageCount(document.getNumberOfPages())
          .setEncrypted(document.isEncrypted())
          .setPdfVersion(PdfSniffer.headerVersion(context.content()))
          .setLanguage(nullToEmpty(catalog.getLanguage()))
          .setTagged(catalog.getMarkInfo() != null && catalog.getMarkInfo().isMarked());
      describeInfo(document, catalog, new StreamGuard(context.maxDecodedStreamBytes()), meta);
      describeForm(catalog, meta);
      describeAttachments(catalog, meta);
      meta.addAllOutline(Outline.read(document));
      describePages(document, context, meta);
      return StageOutput.newBuilder().setMetadata(meta).build();
    }
  }

  private static void describeInfo(
      PDDocument document,
      PDDocumentCatalog catalog,
      StreamGuard guard,
      DocumentMetadata.Builder meta)
      throws IOException {
    PDMetadata xmpStream = catalog.getMetadata();
    meta.setHasXmp(xmpStream != null);
    if (xmpStream != null) {
      guard.checkStream(xmpStream.getCOSObject());
    }
    XmpFields xmp = XmpFields.parse(xmpStream == null ? null : readBounded(xmpStream));
    PDDocumentInformation info = document.getDocumentInformation();
    meta.setTitle(firstOf(info.getTitle(), xmp.get(XmpFields.DC, "title")))
        .setAuthor(firstOf(info.getAuthor(), xmp.get(XmpFields.DC, "creator")))
        .setSubject(firstOf(info.getSubject(), xmp.get(XmpFields.DC, "description")))
        .setKeywords(firstOf(info.getKeywords(), xmp.get(XmpFields.PDF, "Keywords")))
        .setCreator(firstOf(info.getCreator(), xmp.get(XmpFields.XMP, "CreatorTool")))
        .setProducer(firstOf(info.getProducer(), xmp.get(XmpFields.PDF, "Producer")));
    COSDictionary dict = info.getCOSObject();
    readDate(
        dict.getString(COSName.CREATION_DATE),
        meta::setCreationDateRaw,
        meta::setCreationTime,
        meta::setCreationTimeOffset);
    readDate(
        dict.getString(COSName.MOD_DATE),
        meta::setModificationDateRaw,
        meta::setModificationTime,
        meta::setModificationTimeOffset);
  }

  private static void readDate(
      String raw,
      Consumer<String> setRaw,
      Consumer<Timestamp> setTime,
      Consumer<String> setOffset) {
    if (raw == null) {
      return;
    }
    setRaw.accept(raw);
    PdfDate.parse(raw)
        .ifPresent(
            date -> {
              setTime.accept(
                  Timestamp.newBuilder().setSeconds(date.instant().getEpochSecond()).build());
              setOffset.accept(date.offsetText());
            });
  }

  private static void describeForm(PDDocumentCatalog catalog, DocumentMetadata.Builder meta) {
    // getAcroForm(null): no fix-ups, they would invent an AcroForm or fields that are not there.
    PDAcroForm form = catalog.getAcroForm(null);
    meta.setHasAcroForm(catalog.getCOSObject().containsKey(COSName.ACRO_FORM));
    if (form == null) {
      return;
    }
    int fields = 0;
    for (PDField field : form.getFieldTree()) {
      if (field instanceof PDTerminalField) {
        fields++;
      }
    }
    meta.setFormFieldCount(fields);
  }

  private static void describeAttachments(PDDocumentCatalog catalog, DocumentMetadata.Builder meta)
      throws IOException {
    PDDocumentNameDictionary names = catalog.getNames();
    if (names == null || names.getEmbeddedFiles() == null) {
      return;
    }
    collectFiles(
        names.getEmbeddedFiles(),
        0,
        (name, spec) -> {
          if (meta.getAttachmentsCount() >= MAX_ATTACHMENTS) {
            return;
          }
          PDEmbeddedFile file =
              spec.getEmbeddedFileUnicode() != null
                  ? spec.getEmbeddedFileUnicode()
                  : spec.getEmbeddedFile();
          meta.addAttachments(
              Attachment.newBuilder()
                  .setName(firstOf(spec.getFileUnicode(), firstOf(spec.getFilename(), name)))
                  .setSizeBytes(file == null ? -1 : file.getSize())
                  .setMediaType(file == null ? "" : nullToEmpty(file.getSubtype()))
                  .setDescription(nullToEmpty(spec.getFileDescription())));
        });
  }

  private static void collectFiles(
      PDNameTreeNode<PDComplexFileSpecification> node,
      int depth,
      BiConsumer<String, PDComplexFileSpecification> sink)
      throws IOException {
    if (depth > MAX_NAME_TREE_DEPTH) {
      return;
    }
    Map<String, PDComplexFileSpecification> files = node.getNames();
    if (files != null) {
      files.forEach(sink);
    }
    if (node.getKids() != null) {
      for (PDNameTreeNode<PDComplexFileSpecification> kid : node.getKids()) {
        collectFiles(kid, depth + 1, sink);
      }
    }
  }

  private static void describePages(
      PDDocument document, ProcessingContext context, DocumentMetadata.Builder meta)
      throws IOException {
    int total = document.getNumberOfPages();
    Map<String, Integer> annotations = new TreeMap<>();
    Map<String, FontInfo> fonts = new TreeMap<>();
    ImagePlacementCounter images = new ImagePlacementCounter(context);
    StreamGuard guard = new StreamGuard(context.maxDecodedStreamBytes());
    int imageCount = 0;
    int number = 0;
    for (PDPage page : document.getPages()) {
      number++;
      context.checkpoint();
      PDRectangle box = page.getMediaBox();
      meta.addPages(
          PageInfo.newBuilder()
              .setPageNumber(number)
              .setWidth(box.getWidth())
              .setHeight(box.getHeight())
              .setRotation(Math.floorMod(page.getRotation(), 360)));
      guard.checkPage(page); // before fonts: PDFBox decodes embedded font programs to read them
      countAnnotations(page, annotations);
      PageFonts.collect(page, fonts);
      imageCount += images.count(page);
      context.progress(number, total, "page", "page " + number + " of " + total);
    }
    meta.putAllAnnotationCounts(annotations).addAllFonts(fonts.values()).setImageCount(imageCount);
  }

  /** At the COS level: a damaged annotation still has a /Subtype worth counting. */
  private static void countAnnotations(PDPage page, Map<String, Integer> counts) {
    COSArray annots = page.getCOSObject().getCOSArray(COSName.ANNOTS);
    if (annots == null) {
      return;
    }
    for (int i = 0; i < annots.size(); i++) {
      COSBase entry = annots.getObject(i);
      if (entry instanceof COSObject object) {
        entry = object.getObject();
      }
      if (entry instanceof COSDictionary annotation) {
        String subtype = annotation.getNameAsString(COSName.SUBTYPE);
        counts.merge(subtype == null ? "Unknown" : subtype, 1, Integer::sum);
      }
    }
  }

  private static byte[] readBounded(PDMetadata metadata) {
    try (InputStream in = metadata.exportXMPMetadata()) {
      return in.readNBytes(1 << 20);
    } catch (IOException e) {
      return null;
    }
  }

  private static String firstOf(String preferred, String fallback) {
    return preferred != null && !preferred.isBlank() ? preferred : nullToEmpty(fallback);
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
