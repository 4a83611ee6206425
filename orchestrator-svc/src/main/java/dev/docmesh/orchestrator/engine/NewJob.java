package dev.docmesh.orchestrator.engine;

import dev.docmesh.proto.document.v1.DocumentRef;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.Stage;
import java.util.List;
import java.util.Map;

/**
 * A checked SubmitJob request whose document is stored; {@code owner} is the caller's principal
 * name.
 */
public record NewJob(
    DocumentRef document,
    String pipelineName,
    Pipeline pipeline,
    List<Stage> topologicalStages,
    Map<String, String> labels,
    int priority,
    String requestId,
    String password,
    String traceparent,
    String tracestate,
    String owner) {}
