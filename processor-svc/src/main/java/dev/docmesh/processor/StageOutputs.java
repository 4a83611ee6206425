package dev.docmesh.processor;

import dev.docmesh.processor.spi.ProcessingFailure;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import dev.docmesh.proto.processor.v1.ProcessStep;
import dev.docmesh.proto.processor.v1.UpstreamOutput;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outputs of a Process call's stages so far, by stage name, and the requests its steps make of
 * them.
 */
final class StageOutputs {
  private final ProcessRequest request;
  private final Map<String, UpstreamOutput> byStage = new LinkedHashMap<>();

  StageOutputs(ProcessRequest request) {
    this.request = request;
  }

  /** A stage's output; one without a name (the request's unnamed own) no step can read. */
  void add(String stage, String processor, StageOutput output) {
    if (!stage.isEmpty()) {
      byStage.put(
          stage,
          UpstreamOutput.newBuilder()
              .setStage(stage)
              .setProcessor(processor)
              .setOutput(output)
              .build());
    }
  }

  /**
   * Step {@code index} as a call of its own, so that its processor sees what a separate call would
   * give it: the step's processor, options and stage, as upstream the outputs its {@code after}
   * names (in that order, nothing else), the call's document, media type and password.
   * INVALID_ARGUMENT when the step has no stage name, one the call already has, or an {@code after}
   * that names no stage before it.
   */
  ProcessRequest stepRequest(int index) {
    ProcessStep step = request.getThen(index);
    String field = "then[" + index + "]";
    if (step.getStage().isEmpty()) {
      throw ProcessingFailure.invalidArgument(field + ".stage", "a step needs a stage name");
    }
    if (byStage.containsKey(step.getStage())) {
      throw ProcessingFailure.invalidArgument(
          field + ".stage", "'" + step.getStage() + "' is already a stage of this call");
    }
    List<UpstreamOutput> upstream = new ArrayList<>(step.getAfterCount());
    for (String after : step.getAfterList()) {
      UpstreamOutput output = byStage.get(after);
      if (output == null) {
        throw ProcessingFailure.invalidArgument(
            field + ".after",
            "'" + after + "' is not a stage before this step; those are " + byStage.keySet());
      }
      upstream.add(output);
    }
    return request.toBuilder()
        .setProcessor(step.getProcessor())
        .setStage(step.getStage())
        .clearOptions()
        .putAllOptions(step.getOptionsMap())
        .clearUpstream()
        .addAllUpstream(upstream)
        .clearThen()
        .build();
  }
}
