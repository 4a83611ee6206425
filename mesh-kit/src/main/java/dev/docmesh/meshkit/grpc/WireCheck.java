package dev.docmesh.meshkit.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether bytes would parse as a message type, found without building the message: for a service
 * that keeps or forwards an encoded message it never reads, and must still refuse what its readers
 * could not parse. Accepts exactly what protobuf-java's parser accepts: well-formed tags and
 * lengths, strings that must be UTF-8 are, nested messages likewise, at most 100 levels deep (the
 * parser's recursion limit); a known field with another wire type is an unknown field to the
 * parser, so it is skipped here too.
 */
public final class WireCheck {
  private static final int MAX_DEPTH = 100;

  // what a length-delimited field is to the check (Shape)
  private static final int SKIP = 0;
  private static final int MESSAGE = 1;
  private static final int UTF8 = 2;
  private static final int PACKED = 3;

  private WireCheck() {}

  /** Why {@code bytes} is not an encoded {@code type}, or empty when it is. */
  public static Optional<String> problem(Descriptor type, ByteString bytes) {
    try {
      CodedInputStream in = bytes.newCodedInput();
      // strings are only validated: read as views of the bytes, not copies
      in.enableAliasing(true);
      check(Shape.of(type), in, 0);
      return Optional.empty();
    } catch (IOException | Malformed e) {
      return Optional.of(e.getMessage());
    }
  }

  private static void check(Shape shape, CodedInputStream in, int depth) throws IOException {
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      int number = WireFormat.getTagFieldNumber(tag);
      int kind =
          WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED
              ? shape.kind(number)
              : SKIP;
      if (kind == MESSAGE) {
        if (depth >= MAX_DEPTH) {
          throw new Malformed("nested deeper than " + MAX_DEPTH + " levels");
        }
        int limit = in.pushLimit(in.readRawVarint32());
        check(shape.child(number), in, depth + 1);
        in.popLimit(limit);
      } else if (kind == UTF8) {
        if (!in.readBytes().isValidUtf8()) {
          throw new Malformed(
              shape.type.getName() + "." + shape.field(number).getName() + " is not valid UTF-8");
        }
      } else if (kind == PACKED) {
        int limit = in.pushLimit(in.readRawVarint32());
        checkPacked(shape.field(number), in);
        in.popLimit(limit);
      } else if (!in.skipField(tag)) {
        throw new Malformed("unexpected end-group tag in " + shape.type.getName());
      }
    }
  }

  /**
   * What a length-delimited field of a message type is, by field number, looked up once a type:
   * asking the descriptor ({@code findFieldByNumber}, a binary search) for every field of every
   * element was a third of the orchestrator's check of an output, itself 3.4 % of its CPU in the
   * mesh bench.
   */
  private static final class Shape {
    private static final int MAX_DENSE = 1024;
    private static final Map<Descriptor, Shape> SHAPES = new ConcurrentHashMap<>();

    final Descriptor type;
    private final FieldDescriptor[] fields;
    private final byte[] kinds;
    private final Shape[] children;

    private Shape(Descriptor type) {
      this.type = type;
      int max = 0;
      for (FieldDescriptor f : type.getFields()) {
        max = Math.max(max, f.getNumber());
      }
      fields = new FieldDescriptor[Math.min(max, MAX_DENSE) + 1];
      kinds = new byte[fields.length];
      children = new Shape[fields.length];
      for (FieldDescriptor f : type.getFields()) {
        if (f.getNumber() < fields.length) {
          fields[f.getNumber()] = f;
          kinds[f.getNumber()] = (byte) kindOf(f);
        }
      }
    }

    static Shape of(Descriptor type) {
      Shape s = SHAPES.get(type);
      return s != null ? s : SHAPES.computeIfAbsent(type, Shape::new);
    }

    int kind(int number) {
      return number < kinds.length ? kinds[number] : kindOf(type.findFieldByNumber(number));
    }

    FieldDescriptor field(int number) {
      return number < fields.length ? fields[number] : type.findFieldByNumber(number);
    }

    /** The shape of message field {@code number}; nested types resolve on first use. */
    Shape child(int number) {
      if (number >= children.length) {
        return of(field(number).getMessageType());
      }
      Shape c = children[number];
      if (c == null) {
        // a race only computes the same immutable shape twice
        c = of(field(number).getMessageType());
        children[number] = c;
      }
      return c;
    }

    private static int kindOf(FieldDescriptor f) {
      if (f == null) {
        return SKIP;
      }
      if (f.getType() == FieldDescriptor.Type.MESSAGE) {
        return MESSAGE;
      }
      if (f.getType() == FieldDescriptor.Type.STRING && f.needsUtf8Check()) {
        return UTF8;
      }
      return f.isPackable() ? PACKED : SKIP;
    }
  }

  private static void checkPacked(FieldDescriptor f, CodedInputStream in) throws IOException {
    switch (f.getLiteType().getWireType()) {
      case WireFormat.WIRETYPE_VARINT -> {
        while (in.getBytesUntilLimit() > 0) {
          in.readRawVarint64();
        }
      }
      case WireFormat.WIRETYPE_FIXED32 -> in.skipRawBytes(whole(f, in.getBytesUntilLimit(), 4));
      case WireFormat.WIRETYPE_FIXED64 -> in.skipRawBytes(whole(f, in.getBytesUntilLimit(), 8));
      default -> throw new IllegalStateException("not packable: " + f.getFullName());
    }
  }

  private static int whole(FieldDescriptor f, int length, int size) {
    if (length % size != 0) {
      throw new Malformed("packed " + f.getFullName() + " is not a whole number of values");
    }
    return length;
  }

  /** Unchecked so the walk needs no wrapping: caught at the one entry point. */
  private static final class Malformed extends RuntimeException {
    Malformed(String message) {
      super(message, null, false, false);
    }
  }
}
