package dev.docmesh.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.proto.document.v1.DocumentMetadata;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentNameDictionary;
import org.apache.pdfbox.pdmodel.PDEmbeddedFilesNameTreeNode;
import org.apache.pdfbox.pdmodel.common.PDMetadata;
import org.apache.pdfbox.pdmodel.common.filespecification.PDComplexFileSpecification;
import org.apache.pdfbox.pdmodel.common.filespecification.PDEmbeddedFile;
import org.apache.pdfbox.pdmodel.documentinterchange.logicalstructure.PDMarkInfo;
import org.junit.jupiter.api.Test;

/**
 * The parts of pdf.metadata the corpus does not exercise: attachments, language, tags, XMP
 * fallback, rotation.
 */
class MetadataDetailsTest {

  @Test
  void attachmentsLanguageTagsXmpFallbackAndRotation() throws Exception {
    byte[] pdf = enrich(HostileDocuments.generated(2));
    try (ProcessorHarness harness = new ProcessorHarness()) {
      DocumentMetadata meta = harness.process("pdf.metadata", pdf).ok().getMetadata();
      assertThat(meta.getAttachmentsList())
          .singleElement()
          .satisfies(
              a -> {
                assertThat(a.getName()).isEqualTo("figures.csv");
                assertThat(a.getSizeBytes()).isEqualTo(16); // the size stored in the file's /Params
                assertThat(a.getMediaType()).isEqualTo("text/csv");
                assertThat(a.getDescription()).isEqualTo("raw figures");
              });
      assertThat(meta.getLanguage()).isEqualTo("en-GB");
      assertThat(meta.getTagged()).isTrue();
      assertThat(meta.getHasXmp()).isTrue();
      assertThat(meta.getTitle()).isEqualTo("Title from XMP"); // the Info title was removed
      assertThat(meta.getCreationDateRaw()).isEqualTo("D:20240229235959-03'30'");
      assertThat(meta.getCreationTimeOffset()).isEqualTo("-03'30'");
      assertThat(meta.getCreationTime().getSeconds())
          .isEqualTo(java.time.OffsetDateTime.parse("2024-02-29T23:59:59-03:30").toEpochSecond());
      assertThat(meta.getPages(1).getRotation()).isEqualTo(90);
      assertThat(meta.getPages(0).getRotation()).isZero();
    }
  }

  private static byte[] enrich(byte[] pdf) throws Exception {
    try (PDDocument doc = Loader.loadPDF(pdf)) {
      byte[] csv = "a,b\n1,2\n3,4\n5,6\n".getBytes(StandardCharsets.US_ASCII);
      PDEmbeddedFile file = new PDEmbeddedFile(doc, new ByteArrayInputStream(csv));
      file.setSize(csv.length);
      file.setSubtype("text/csv");
      PDComplexFileSpecification spec = new PDComplexFileSpecification();
      spec.setFile("figures.csv");
      spec.setFileUnicode("figures.csv");
      spec.setEmbeddedFile(file);
      spec.setFileDescription("raw figures");
      PDEmbeddedFilesNameTreeNode files = new PDEmbeddedFilesNameTreeNode();
      files.setNames(Map.of("figures.csv", spec));
      PDDocumentNameDictionary names = new PDDocumentNameDictionary(doc.getDocumentCatalog());
      names.setEmbeddedFiles(files);
      doc.getDocumentCatalog().setNames(names);

      doc.getDocumentCatalog().setLanguage("en-GB");
      PDMarkInfo mark = new PDMarkInfo();
      mark.setMarked(true);
      doc.getDocumentCatalog().setMarkInfo(mark);

      String xmp =
          """
          <?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
          <x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
          <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
          <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Title from XMP</rdf:li></rdf:Alt></dc:title>
          </rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>""";
      PDMetadata metadata = new PDMetadata(doc);
      metadata.importXMPMetadata(xmp.getBytes(StandardCharsets.UTF_8));
      doc.getDocumentCatalog().setMetadata(metadata);
      doc.getDocumentInformation().setTitle(null);
      doc.getDocumentInformation()
          .getCOSObject()
          .setString(org.apache.pdfbox.cos.COSName.CREATION_DATE, "D:20240229235959-03'30'");
      doc.getPage(1).setRotation(90);

      ByteArrayOutputStream out = new ByteArrayOutputStream();
      doc.save(out);
      return out.toByteArray();
    }
  }
}
