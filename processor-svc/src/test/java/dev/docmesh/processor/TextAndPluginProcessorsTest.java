package dev.docmesh.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.google.protobuf.Struct;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.proto.document.v1.DocumentText;
import dev.docmesh.proto.document.v1.Element;
import dev.docmesh.proto.document.v1.ElementType;
import dev.docmesh.proto.document.v1.PageText;
import dev.docmesh.proto.document.v1.TableCell;
import dev.docmesh.proto.processor.v1.ListProcessorsRequest;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** text.plain, text.markdown, ListProcessors and the ServiceLoader plugin, over real gRPC. */
class TextAndPluginProcessorsTest {
  @RegisterExtension static final ProcessorHarness harness = new ProcessorHarness();

  @Test
  void listProcessorsReportsBuiltInsAndThePluginSortedByName() {
    List<ProcessorInfo> processors =
        harness.stub.listProcessors(ListProcessorsRequest.getDefaultInstance()).getProcessorsList();
    assertThat(processors)
        .extracting(ProcessorInfo::getName)
        .containsExactly(
            "example.wordcount",
            "pdf.metadata",
            "pdf.relationships",
            "pdf.structure",
            "pdf.text",
            "pdf.validate",
            "text.markdown",
            "text.plain");
    assertThat(processors)
        .filteredOn(ProcessorInfo::getBuiltIn)
        .hasSize(7)
        .allSatisfy(
            p -> {
              assertThat(p.getVersion()).isNotBlank();
              assertThat(p.getDescription()).isNotBlank();
              assertThat(p.getMediaTypesList()).isNotEmpty();
              assertThat(p.getOutput())
                  .isIn("validation", "metadata", "text", "elements", "relationships");
            });
    assertThat(processors)
        .filteredOn(p -> p.getName().equals("pdf.relationships"))
        .singleElement()
        .satisfies(p -> assertThat(p.getInputsList()).containsExactly("pdf.structure"));
    assertThat(processors)
        .filteredOn(p -> p.getName().equals("example.wordcount"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getBuiltIn()).isFalse();
              assertThat(p.getOutput()).isEqualTo("custom");
            });
  }

  @Test
  void pluginRunsThroughProcessAndReturnsAStruct() {
    var outcome =
        harness.process(
            ProcessorHarness.request(
                    "example.wordcount",
                    "one two three\nfour five\n".getBytes(StandardCharsets.UTF_8))
                .putOptions("min_length", "4")
                .build());
    Struct custom = outcome.ok().getCustom();
    assertThat(custom.getFieldsOrThrow("words").getNumberValue()).isEqualTo(3); // three, four, five
    assertThat(custom.getFieldsOrThrow("lines").getNumberValue()).isEqualTo(2);
    assertThat(outcome.progress()).hasSize(1);

    var pdf = harness.process("example.wordcount", HostileDocuments.generated(1));
    assertThat(pdf.error().getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(Errors.reason(pdf.error())).contains("UNSUPPORTED_MEDIA_TYPE");
  }

  @Test
  void aPluginsProcessingFailureReachesTheClientAsATypedStatus() {
    var outcome =
        harness.process(
            ProcessorHarness.request(
                    "example.wordcount", "one two".getBytes(StandardCharsets.UTF_8))
                .setMediaType("text/plain")
                .putOptions("min_length", "three")
                .build());
    assertThat(outcome.error().getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(Errors.reason(outcome.error())).contains("INVALID_ARGUMENT");
    assertThat(Errors.detail(outcome.error(), com.google.rpc.BadRequest.class))
        .hasValueSatisfying(
            b -> assertThat(b.getFieldViolations(0).getField()).isEqualTo("options.min_length"));
  }

  @Test
  void plainTextIsReadAsPagesSeparatedByFormFeeds() {
    byte[] text = "\uFEFFfirst page\r\nline two\fsecond page".getBytes(StandardCharsets.UTF_8);
    DocumentText result = harness.process("text.plain", text).ok().getText();
    assertThat(result.getPagesList())
        .extracting(PageText::getPageNumber, PageText::getText)
        .containsExactly(tuple(1, "first page\nline two"), tuple(2, "second page"));

    var bad =
        harness.process(
            ProcessorHarness.request("text.plain", new byte[] {'a', (byte) 0xC3, '(', 'b'})
                .setMediaType("text/plain")
                .build());
    assertThat(bad.error().getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    var pdf = harness.process("text.plain", HostileDocuments.generated(1));
    assertThat(Errors.reason(pdf.error())).contains("UNSUPPORTED_MEDIA_TYPE");
  }

  @Test
  void markdownBecomesElementsWithSections() {
    String md =
        """
        # Release Notes

        Intro paragraph that
        spans two lines.

        ## Added
        - first *item*
        - second item
          continued here
        1. numbered

        Table 1: Sizes
        | Name | Size |
        |------|-----:|
        | a    | 1    |
        | b    | 2    |

        Changes
        -------
        ```
        # not a heading
        ```
        """;
    List<Element> elements =
        harness
            .process(
                ProcessorHarness.request("text.markdown", md.getBytes(StandardCharsets.UTF_8))
                    .setFilename("NOTES.md")
                    .build())
            .ok()
            .getElements()
            .getElementsList();
    assertThat(elements)
        .extracting(
            Element::getId,
            Element::getType,
            Element::getText,
            Element::getHeadingLevel,
            Element::getParentId)
        .containsExactly(
            tuple("e1", ElementType.ELEMENT_TYPE_TITLE, "Release Notes", 0, ""),
            tuple(
                "e2",
                ElementType.ELEMENT_TYPE_PARAGRAPH,
                "Intro paragraph that spans two lines.",
                0,
                "e1"),
            tuple("e3", ElementType.ELEMENT_TYPE_HEADING, "Added", 2, "e1"),
            tuple("e4", ElementType.ELEMENT_TYPE_LIST_ITEM, "first *item*", 0, "e3"),
            tuple("e5", ElementType.ELEMENT_TYPE_LIST_ITEM, "second item continued here", 0, "e3"),
            tuple("e6", ElementType.ELEMENT_TYPE_LIST_ITEM, "1. numbered", 0, "e3"),
            tuple("e7", ElementType.ELEMENT_TYPE_CAPTION, "Table 1: Sizes", 0, "e3"),
            tuple("e8", ElementType.ELEMENT_TYPE_TABLE, "Name\tSize\na\t1\nb\t2", 0, "e3"),
            tuple("e9", ElementType.ELEMENT_TYPE_HEADING, "Changes", 2, "e1"),
            tuple("e10", ElementType.ELEMENT_TYPE_PARAGRAPH, "# not a heading", 0, "e9"));
    assertThat(elements.get(7).getTable().getCellsList())
        .extracting(TableCell::getRow, TableCell::getColumn, TableCell::getText)
        .contains(tuple(0, 0, "Name"), tuple(2, 1, "2"));
  }
}
