package dev.docmesh.orchestrator.grpc;

import com.google.protobuf.ByteString;
import dev.docmesh.orchestrator.model.StageOutputs;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobResult;
import java.util.Map;

/** Assembles the typed JobResult from the stored outputs of a job's stages. */
final class JobResults {
  private JobResults() {}

  /** {@code outputs}: the job's stored outputs by stage, encoded StageOutputs. */
  static JobResult assemble(Job job, Map<String, ByteString> outputs) {
    JobResult.Builder r = JobResult.newBuilder().setJobId(job.getId()).setState(job.getState());
    // Stage order (topological) decides when two stages produce the same kind: the later one wins.
    job.getStagesList()
        .forEach(
            stage -> {
              ByteString encoded = outputs.get(stage.getName());
              if (encoded == null) {
                return;
              }
              StageOutput o = StageOutputs.parse(job.getId(), stage.getName(), encoded);
              switch (o.getOutputCase()) {
                case VALIDATION -> r.setValidation(o.getValidation());
                case METADATA -> r.setMetadata(o.getMetadata());
                case TEXT -> r.clearPages().addAllPages(o.getText().getPagesList());
                case ELEMENTS ->
                    r.clearElements().addAllElements(o.getElements().getElementsList());
                case RELATIONSHIPS ->
                    r.clearRelationships()
                        .addAllRelationships(o.getRelationships().getRelationshipsList());
                case CUSTOM -> r.putCustom(stage.getName(), o.getCustom());
                case OUTPUT_NOT_SET -> {}
              }
            });
    return r.build();
  }
}
