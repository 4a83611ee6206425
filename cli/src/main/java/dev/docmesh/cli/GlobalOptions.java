package dev.docmesh.cli;

import picocli.CommandLine.Option;

/** Options every command takes. */
public final class GlobalOptions {
  @Option(
      names = "--target",
      description = "Orchestrator address (host:port). Default: $${DOCMESH_TARGET:-localhost:50051}.",
      defaultValue = "${env:DOCMESH_TARGET:-localhost:50051}")
  String target;

  @Option(
      names = "--monitor-target",
      description = "Monitor address for status and alerts. Default: $${DOCMESH_MONITOR_TARGET:-localhost:50054}.",
      defaultValue = "${env:DOCMESH_MONITOR_TARGET:-localhost:50054}")
  String monitorTarget;

  @Option(
      names = "--processor-target",
      description = "Processor address for `processors`. Default: $${DOCMESH_PROCESSOR_ADDRESS:-localhost:50052}.",
      defaultValue = "${env:DOCMESH_PROCESSOR_ADDRESS:-localhost:50052}")
  String processorTarget;

  @Option(names = "--json", description = "Print JSON (one document per result) instead of text.")
  boolean json;

  @Option(names = "--verbose", description = "Print stack traces with errors.")
  boolean verbose;
}
