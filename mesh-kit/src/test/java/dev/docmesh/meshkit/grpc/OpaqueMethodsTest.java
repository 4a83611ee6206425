package dev.docmesh.meshkit.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import dev.docmesh.proto.document.v1.DocumentRef;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskRequest;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskResponse;
import dev.docmesh.proto.orchestrator.v1.FollowOnOutput;
import dev.docmesh.proto.orchestrator.v1.PollTaskResponse;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import dev.docmesh.proto.processor.v1.UpstreamOutput;
import dev.docmesh.proto.relay.v1.OpaqueCompleteTaskRequest;
import dev.docmesh.proto.relay.v1.OpaqueCompleteTaskResponse;
import dev.docmesh.proto.relay.v1.OpaqueFollowOnOutput;
import dev.docmesh.proto.relay.v1.OpaquePollTaskResponse;
import dev.docmesh.proto.relay.v1.OpaqueProcessRequest;
import dev.docmesh.proto.relay.v1.OpaqueProcessResponse;
import dev.docmesh.proto.relay.v1.OpaqueTask;
import dev.docmesh.proto.relay.v1.OpaqueUpstreamOutput;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The opaque messages stay the public ones on the wire: field for field (a field added to a public
 * message and not to its twin fails here), and byte for byte through the methods' marshallers.
 */
class OpaqueMethodsTest {
  /** Each public message and its twin. */
  static final Map<Descriptor, Descriptor> TWINS =
      Map.of(
          Task.getDescriptor(), OpaqueTask.getDescriptor(),
          PollTaskResponse.getDescriptor(), OpaquePollTaskResponse.getDescriptor(),
          CompleteTaskRequest.getDescriptor(), OpaqueCompleteTaskRequest.getDescriptor(),
          CompleteTaskResponse.getDescriptor(), OpaqueCompleteTaskResponse.getDescriptor(),
          UpstreamOutput.getDescriptor(), OpaqueUpstreamOutput.getDescriptor(),
          FollowOnOutput.getDescriptor(), OpaqueFollowOnOutput.getDescriptor(),
          ProcessRequest.getDescriptor(), OpaqueProcessRequest.getDescriptor(),
          ProcessResponse.getDescriptor(), OpaqueProcessResponse.getDescriptor());

  static final StageOutput TEXT = WireCheckTest.ELEMENTS;

  @Test
  void everyTwinHasThePublicMessagesFields() {
    TWINS.forEach(OpaqueMethodsTest::assertTwin);
    // and the twins are the ones the methods use
    assertThat(OpaqueMethods.POLL_TASK.getFullMethodName())
        .isEqualTo("docmesh.orchestrator.v1.TaskQueueService/PollTask");
    assertThat(OpaqueMethods.COMPLETE_TASK.getFullMethodName())
        .isEqualTo("docmesh.orchestrator.v1.TaskQueueService/CompleteTask");
    assertThat(OpaqueMethods.PROCESS.getFullMethodName())
        .isEqualTo("docmesh.processor.v1.ProcessorService/Process");
  }

  private static void assertTwin(Descriptor pub, Descriptor twin) {
    assertThat(twin.getFields())
        .as("fields of %s against %s", twin.getFullName(), pub.getFullName())
        .hasSameSizeAs(pub.getFields());
    for (FieldDescriptor f : pub.getFields()) {
      FieldDescriptor t = twin.findFieldByNumber(f.getNumber());
      String what = pub.getName() + "." + f.getName();
      assertThat(t).as(what + " in " + twin.getName()).isNotNull();
      assertThat(t.getName()).as(what).isEqualTo(f.getName());
      assertThat(t.isRepeated()).as(what).isEqualTo(f.isRepeated());
      assertThat(t.isMapField()).as(what).isEqualTo(f.isMapField());
      assertThat(oneof(t)).as(what).isEqualTo(oneof(f));
      if (f.getType() == FieldDescriptor.Type.MESSAGE
          && f.getMessageType().equals(StageOutput.getDescriptor())) {
        assertThat(t.getType()).as(what).isEqualTo(FieldDescriptor.Type.BYTES);
      } else if (f.isMapField()) {
        assertTwin(f.getMessageType(), t.getMessageType());
      } else if (f.getType() == FieldDescriptor.Type.MESSAGE
          && TWINS.containsKey(f.getMessageType())) {
        assertThat(t.getMessageType()).as(what).isEqualTo(TWINS.get(f.getMessageType()));
      } else {
        assertThat(t.getType()).as(what).isEqualTo(f.getType());
        if (f.getType() == FieldDescriptor.Type.MESSAGE) {
          assertThat(t.getMessageType()).as(what).isEqualTo(f.getMessageType());
        }
        if (f.getType() == FieldDescriptor.Type.ENUM) {
          assertThat(t.getEnumType()).as(what).isEqualTo(f.getEnumType());
        }
      }
    }
  }

  private static String oneof(FieldDescriptor f) {
    return f.getRealContainingOneof() == null ? null : f.getRealContainingOneof().getName();
  }

  @Test
  void aTaskCrossesTheWireUnchanged() throws IOException {
    Task task =
        Task.newBuilder()
            .setTaskId("job-1/structure")
            .setJobId("job-1")
            .setStage("structure")
            .setProcessor("pdf.structure")
            .setAttempt(2)
            .setLeaseToken("tok")
            .setLeaseExpireTime(Timestamp.newBuilder().setSeconds(17))
            .setLeaseDuration(Duration.newBuilder().setSeconds(30))
            .setTimeout(Duration.newBuilder().setSeconds(60))
            .setDocument(DocumentRef.newBuilder().setId("sha256:ab").setFilename("a.pdf"))
            .putOptions("sort_by_position", "true")
            .addUpstream(
                UpstreamOutput.newBuilder()
                    .setStage("text")
                    .setProcessor("pdf.text")
                    .setOutput(TEXT))
            .setPassword("pw")
            .setTraceparent("00-abc-def-01")
            .setTracestate("k=v")
            .build();
    PollTaskResponse sent = PollTaskResponse.newBuilder().setTask(task).build();

    // the worker reads the orchestrator's answer as its twin and passes the upstream on as bytes
    OpaquePollTaskResponse got =
        OpaqueMethods.POLL_TASK.parseResponse(new ByteArrayInputStream(sent.toByteArray()));
    assertThat(got.getTask().getUpstream(0).getOutput()).isEqualTo(TEXT.toByteString());
    assertThat(PollTaskResponse.parseFrom(bytes(OpaqueMethods.POLL_TASK.streamResponse(got))))
        .isEqualTo(sent);

    OpaqueProcessRequest toProcessor =
        OpaqueProcessRequest.newBuilder()
            .setProcessor(got.getTask().getProcessor())
            .putAllOptions(got.getTask().getOptionsMap())
            .addAllUpstream(got.getTask().getUpstreamList())
            .build();
    ProcessRequest read =
        ProcessRequest.parseFrom(bytes(OpaqueMethods.PROCESS.streamRequest(toProcessor)));
    assertThat(read.getUpstreamList()).containsExactlyElementsOf(task.getUpstreamList());
    assertThat(read.getOptionsMap()).isEqualTo(task.getOptionsMap());
  }

  @Test
  void aResultCrossesTheWireUnchanged() throws IOException {
    ProcessResponse progress =
        ProcessResponse.newBuilder()
            .setProgress(Progress.newBuilder().setDone(3).setTotal(9).setUnit("page"))
            .build();
    ProcessResponse result = ProcessResponse.newBuilder().setResult(TEXT).build();
    assertThat(OpaqueMethods.PROCESS.parseResponse(stream(progress.toByteArray())).getProgress())
        .isEqualTo(progress.getProgress());
    OpaqueProcessResponse opaque =
        OpaqueMethods.PROCESS.parseResponse(stream(result.toByteArray()));
    assertThat(opaque.getResult()).isEqualTo(TEXT.toByteString());

    OpaqueCompleteTaskRequest complete =
        OpaqueCompleteTaskRequest.newBuilder()
            .setTaskId("job-1/structure")
            .setLeaseToken("tok")
            .setWorkerId("w")
            .setOutput(opaque.getResult())
            .build();
    assertThat(
            CompleteTaskRequest.parseFrom(
                bytes(OpaqueMethods.COMPLETE_TASK.streamRequest(complete))))
        .isEqualTo(
            CompleteTaskRequest.newBuilder()
                .setTaskId("job-1/structure")
                .setLeaseToken("tok")
                .setWorkerId("w")
                .setOutput(TEXT)
                .build());
  }

  private static InputStream stream(byte[] b) {
    return new ByteArrayInputStream(b);
  }

  private static byte[] bytes(InputStream in) throws IOException {
    return in.readAllBytes();
  }
}
