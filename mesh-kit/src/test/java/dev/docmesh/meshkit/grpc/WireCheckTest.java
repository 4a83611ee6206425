package dev.docmesh.meshkit.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.docmesh.proto.document.v1.BoundingBox;
import dev.docmesh.proto.document.v1.DocumentMetadata;
import dev.docmesh.proto.document.v1.Element;
import dev.docmesh.proto.document.v1.ElementType;
import dev.docmesh.proto.document.v1.Elements;
import dev.docmesh.proto.document.v1.FontInfo;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.document.v1.Table;
import dev.docmesh.proto.document.v1.TableCell;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** WireCheck says "valid" exactly when protobuf-java's parser would parse the bytes. */
class WireCheckTest {
  static final StageOutput ELEMENTS =
      StageOutput.newBuilder()
          .setElements(
              Elements.newBuilder()
                  .addElements(
                      Element.newBuilder()
                          .setId("e1")
                          .setType(ElementType.ELEMENT_TYPE_PARAGRAPH)
                          .setText("Grüße aus Köln — ½ €")
                          .setBbox(BoundingBox.newBuilder().setX(1).setY(2).setWidth(3))
                          .setFontSize(11.5f)
                          .setBold(true))
                  .addElements(
                      Element.newBuilder()
                          .setId("e2")
                          .setType(ElementType.ELEMENT_TYPE_TABLE)
                          .setParentId("e1")
                          .setTable(
                              Table.newBuilder()
                                  .addCells(TableCell.newBuilder().setText("a"))
                                  .addCells(TableCell.newBuilder().setText("日本語")))))
          .build();

  static final StageOutput METADATA =
      StageOutput.newBuilder()
          .setMetadata(
              DocumentMetadata.newBuilder()
                  .setTitle("Report")
                  .setCreationTime(Timestamp.newBuilder().setSeconds(1_700_000_000))
                  .addFonts(FontInfo.newBuilder().setName("Helvetica").setEmbedded(true)))
          .build();

  static final StageOutput CUSTOM =
      StageOutput.newBuilder()
          .setCustom(
              Struct.newBuilder()
                  .putFields("n", Value.newBuilder().setNumberValue(4.5).build())
                  .putFields(
                      "list",
                      Value.newBuilder()
                          .setListValue(
                              ListValue.newBuilder()
                                  .addValues(Value.newBuilder().setStringValue("x"))
                                  .addValues(Value.newBuilder().setBoolValue(true)))
                          .build()))
          .build();

  @Test
  void wellFormedOutputsPass() {
    for (StageOutput o : List.of(ELEMENTS, METADATA, CUSTOM, StageOutput.getDefaultInstance())) {
      assertThat(WireCheck.problem(StageOutput.getDescriptor(), o.toByteString())).isEmpty();
    }
  }

  @Test
  void invalidUtf8InANestedStringIsNamed() {
    byte[] b = ELEMENTS.toByteArray();
    int at = indexOf(b, "日本語".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    b[at] = (byte) 0xFF;
    assertThat(WireCheck.problem(StageOutput.getDescriptor(), ByteString.copyFrom(b)))
        .hasValueSatisfying(p -> assertThat(p).contains("TableCell.text", "UTF-8"));
    assertThat(parses(ByteString.copyFrom(b))).isFalse();
  }

  @Test
  void truncatedOutputsFail() {
    ByteString whole = ELEMENTS.toByteString();
    for (int n = 1; n < whole.size(); n++) {
      ByteString cut = whole.substring(0, n);
      assertThat(WireCheck.problem(StageOutput.getDescriptor(), cut).isEmpty())
          .as("truncated to %d bytes", n)
          .isEqualTo(parses(cut));
    }
  }

  @Test
  void nestingIsLimitedWhereTheParserLimitsIt() {
    // a list level is two messages (Value, ListValue), a struct level three (Value, Struct, its map
    // entry): with zero or one struct level inside, every depth around the parser's limit occurs
    int accepted = 0;
    int refused = 0;
    for (int lists = 40; lists <= 55; lists++) {
      for (int structs = 0; structs <= 1; structs++) {
        Value v = Value.newBuilder().setStringValue("leaf").build();
        for (int i = 0; i < structs; i++) {
          v = Value.newBuilder().setStructValue(Struct.newBuilder().putFields("k", v)).build();
        }
        for (int i = 0; i < lists; i++) {
          v = Value.newBuilder().setListValue(ListValue.newBuilder().addValues(v)).build();
        }
        ByteString b =
            StageOutput.newBuilder()
                .setCustom(Struct.newBuilder().putFields("root", v))
                .build()
                .toByteString();
        assertThat(WireCheck.problem(StageOutput.getDescriptor(), b).isEmpty())
            .as("%d list levels, %d struct levels", lists, structs)
            .isEqualTo(parses(b));
        if (parses(b)) {
          accepted++;
        } else {
          refused++;
        }
      }
    }
    assertThat(accepted).isPositive();
    assertThat(refused).isPositive();
  }

  /**
   * Random damage (flipped, inserted, deleted bytes, and bytes that make invalid UTF-8) to real
   * outputs: both verdicts must agree every time, and both verdicts must occur.
   */
  @Test
  void agreesWithTheParserOnDamagedOutputs() {
    Random random = new Random(20261129);
    int valid = 0;
    int invalid = 0;
    for (StageOutput o : List.of(ELEMENTS, METADATA, CUSTOM)) {
      byte[] original = o.toByteArray();
      for (int i = 0; i < 3000; i++) {
        byte[] b = damage(original, random);
        ByteString bytes = ByteString.copyFrom(b);
        boolean parses = parses(bytes);
        assertThat(WireCheck.problem(StageOutput.getDescriptor(), bytes).isEmpty())
            .as("damaged %s (case %d): %s", o.getOutputCase(), i, bytes)
            .isEqualTo(parses);
        if (parses) {
          valid++;
        } else {
          invalid++;
        }
      }
    }
    assertThat(valid).isGreaterThan(500);
    assertThat(invalid).isGreaterThan(500);
  }

  private static byte[] damage(byte[] original, Random random) {
    byte[] b = original.clone();
    int at = random.nextInt(b.length);
    switch (random.nextInt(4)) {
      case 0 -> b[at] = (byte) random.nextInt(256);
      case 1 -> b[at] = (byte) (0x80 | random.nextInt(0x80)); // continuation byte: UTF-8 breaks
      case 2 -> {
        byte[] shorter = new byte[b.length - 1];
        System.arraycopy(b, 0, shorter, 0, at);
        System.arraycopy(b, at + 1, shorter, at, b.length - at - 1);
        b = shorter;
      }
      default -> {
        byte[] longer = new byte[b.length + 1];
        System.arraycopy(b, 0, longer, 0, at);
        longer[at] = (byte) random.nextInt(256);
        System.arraycopy(b, at, longer, at + 1, b.length - at);
        b = longer;
      }
    }
    return b;
  }

  private static boolean parses(ByteString b) {
    try {
      StageOutput.parseFrom(b);
      return true;
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}
