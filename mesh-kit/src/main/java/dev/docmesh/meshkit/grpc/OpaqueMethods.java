package dev.docmesh.meshkit.grpc;

import com.google.protobuf.Message;
import dev.docmesh.proto.orchestrator.v1.PollTaskRequest;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import dev.docmesh.proto.relay.v1.OpaqueCompleteTaskRequest;
import dev.docmesh.proto.relay.v1.OpaqueCompleteTaskResponse;
import dev.docmesh.proto.relay.v1.OpaquePollTaskResponse;
import dev.docmesh.proto.relay.v1.OpaqueProcessRequest;
import dev.docmesh.proto.relay.v1.OpaqueProcessResponse;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;

/**
 * The public methods that carry stage outputs, bound to the wire-compatible messages of {@code
 * docmesh.relay.v1} that hold each output as bytes: the same calls on the wire (same names, same
 * encoding), for the services that only store and forward outputs — the orchestrator serves
 * PollTask and CompleteTask with them, the worker calls those and Process with them. Whoever reads
 * an output (the processor, clients of GetJobResult) uses the public messages.
 */
public final class OpaqueMethods {
  private OpaqueMethods() {}

  /** TaskQueueService.PollTask, answered with an OpaqueTask. */
  public static final MethodDescriptor<PollTaskRequest, OpaquePollTaskResponse> POLL_TASK =
      TaskQueueServiceGrpc.getPollTaskMethod().toBuilder(
              marshaller(PollTaskRequest.getDefaultInstance()),
              marshaller(OpaquePollTaskResponse.getDefaultInstance()))
          .build();

  /** TaskQueueService.CompleteTask, with the output as bytes and the next task an OpaqueTask. */
  public static final MethodDescriptor<OpaqueCompleteTaskRequest, OpaqueCompleteTaskResponse>
      COMPLETE_TASK =
          TaskQueueServiceGrpc.getCompleteTaskMethod().toBuilder(
                  marshaller(OpaqueCompleteTaskRequest.getDefaultInstance()),
                  marshaller(OpaqueCompleteTaskResponse.getDefaultInstance()))
              .build();

  /** ProcessorService.Process, with upstream outputs and the result as bytes. */
  public static final MethodDescriptor<OpaqueProcessRequest, OpaqueProcessResponse> PROCESS =
      ProcessorServiceGrpc.getProcessMethod().toBuilder(
              marshaller(OpaqueProcessRequest.getDefaultInstance()),
              marshaller(OpaqueProcessResponse.getDefaultInstance()))
          .build();

  private static <T extends Message> MethodDescriptor.Marshaller<T> marshaller(T defaultInstance) {
    return ProtoUtils.marshaller(defaultInstance);
  }
}
