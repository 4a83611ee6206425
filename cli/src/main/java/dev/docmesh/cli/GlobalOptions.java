package dev.docmesh.cli;

import picocli.CommandLine.Option;

/** Options every command takes. */
public final class GlobalOptions {
  @Option(
      names = "--target",
      description =
          "Orchestrator address (host:port). Default: $${DOCMESH_TARGET:-localhost:50051}.",
      defaultValue = "${env:DOCMESH_TARGET:-localhost:50051}")
  String target;

  @Option(
      names = "--monitor-target",
      description =
          "Monitor address for status and alerts. Default: $${DOCMESH_MONITOR_TARGET:-localhost:50054}.",
      defaultValue = "${env:DOCMESH_MONITOR_TARGET:-localhost:50054}")
  String monitorTarget;

  @Option(
      names = "--processor-target",
      description =
          "Processor address for `processors`. Default: $${DOCMESH_PROCESSOR_ADDRESS:-localhost:50052}.",
      defaultValue = "${env:DOCMESH_PROCESSOR_ADDRESS:-localhost:50052}")
  String processorTarget;

  @Option(
      names = "--token",
      description =
          "Bearer token sent as 'authorization: Bearer ...' (default: $${DOCMESH_TOKEN}, else the file $${DOCMESH_TOKEN_FILE}).",
      defaultValue = "${env:DOCMESH_TOKEN}")
  String token;

  @Option(
      names = "--tls-ca",
      description =
          "CA certificate (PEM) that signed the servers' certificates; turns TLS on (default: $${DOCMESH_TLS_CA_FILE}).",
      defaultValue = "${env:DOCMESH_TLS_CA_FILE}")
  String tlsCa;

  @Option(
      names = "--tls-cert",
      description = "Client certificate (PEM) for mutual TLS (default: $${DOCMESH_TLS_CERT_FILE}).",
      defaultValue = "${env:DOCMESH_TLS_CERT_FILE}")
  String tlsCert;

  @Option(
      names = "--tls-key",
      description = "Private key (PKCS#8 PEM) of --tls-cert (default: $${DOCMESH_TLS_KEY_FILE}).",
      defaultValue = "${env:DOCMESH_TLS_KEY_FILE}")
  String tlsKey;

  @Option(names = "--json", description = "Print JSON (one document per result) instead of text.")
  boolean json;

  @Option(names = "--verbose", description = "Print stack traces with errors.")
  boolean verbose;

  /** Options for a command that has none of its own (demo): credentials from the environment. */
  static GlobalOptions fromEnvironment() {
    GlobalOptions o = new GlobalOptions();
    o.token = System.getenv("DOCMESH_TOKEN");
    o.tlsCa = System.getenv("DOCMESH_TLS_CA_FILE");
    o.tlsCert = System.getenv("DOCMESH_TLS_CERT_FILE");
    o.tlsKey = System.getenv("DOCMESH_TLS_KEY_FILE");
    return o;
  }
}
