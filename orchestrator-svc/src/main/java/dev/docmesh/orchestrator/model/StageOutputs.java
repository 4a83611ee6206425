package dev.docmesh.orchestrator.model;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.docmesh.meshkit.grpc.WireCheck;
import dev.docmesh.orchestrator.Failure;
import dev.docmesh.proto.document.v1.StageOutput;
import java.io.IOException;

/**
 * Stage outputs as the orchestrator keeps them: each the encoded {@link StageOutput} its worker
 * sent, stored and handed to later stages as it came, and parsed only to assemble a job's result.
 * Parsing every output on the way in and encoding it again for the store and for each later stage
 * was most of the orchestrator's work on a real document.
 */
public final class StageOutputs {
  private StageOutputs() {}

  /**
   * Refuses, as the field {@code output}, what is not an encoded StageOutput with one of its kinds
   * set: a later reader could not parse it, and results must never be lost to a bad write.
   */
  public static void check(ByteString output) {
    check("output", output);
  }

  /** As {@link #check(ByteString)}, refused as {@code field}. */
  public static void check(String field, ByteString output) {
    WireCheck.problem(StageOutput.getDescriptor(), output)
        .ifPresent(
            problem -> {
              throw new Failure.InvalidArgument(field, "not a valid StageOutput: " + problem);
            });
    if (!hasKind(output)) {
      throw new Failure.InvalidArgument(field, "required: the processor's result");
    }
  }

  /** Parses a stored output; a corrupt one is the store's failure, not the caller's. */
  public static StageOutput parse(String jobId, String stage, ByteString output) {
    try {
      return StageOutput.parseFrom(output);
    } catch (InvalidProtocolBufferException e) {
      throw new Failure.Internal(
          "stored output of " + jobId + "/" + stage + " cannot be read: " + e.getMessage(), e);
    }
  }

  /** Whether one of the oneof's fields is there (the parser's OUTPUT_NOT_SET otherwise). */
  private static boolean hasKind(ByteString output) {
    try {
      CodedInputStream in = output.newCodedInput();
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED
            && StageOutput.getDescriptor().findFieldByNumber(WireFormat.getTagFieldNumber(tag))
                != null) {
          return true;
        }
        in.skipField(tag);
      }
      return false;
    } catch (IOException checkedBefore) {
      return false;
    }
  }
}
