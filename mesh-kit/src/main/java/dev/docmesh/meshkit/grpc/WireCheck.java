package dev.docmesh.meshkit.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.Optional;

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

  private WireCheck() {}

  /** Why {@code bytes} is not an encoded {@code type}, or empty when it is. */
  public static Optional<String> problem(Descriptor type, ByteString bytes) {
    try {
      CodedInputStream in = bytes.newCodedInput();
      check(type, in, 0);
      return Optional.empty();
    } catch (IOException | Malformed e) {
      return Optional.of(e.getMessage());
    }
  }

  private static void check(Descriptor type, CodedInputStream in, int depth) throws IOException {
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      FieldDescriptor f = type.findFieldByNumber(WireFormat.getTagFieldNumber(tag));
      boolean delimited =
          WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED && f != null;
      if (delimited && f.getType() == FieldDescriptor.Type.MESSAGE) {
        if (depth >= MAX_DEPTH) {
          throw new Malformed("nested deeper than " + MAX_DEPTH + " levels");
        }
        int limit = in.pushLimit(in.readRawVarint32());
        check(f.getMessageType(), in, depth + 1);
        in.popLimit(limit);
      } else if (delimited && f.getType() == FieldDescriptor.Type.STRING && f.needsUtf8Check()) {
        if (!in.readBytes().isValidUtf8()) {
          throw new Malformed(type.getName() + "." + f.getName() + " is not valid UTF-8");
        }
      } else if (delimited && f.isPackable()) {
        int limit = in.pushLimit(in.readRawVarint32());
        checkPacked(f, in);
        in.popLimit(limit);
      } else if (!in.skipField(tag)) {
        throw new Malformed("unexpected end-group tag in " + type.getName());
      }
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
