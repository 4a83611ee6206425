package dev.docmesh.monitor.discovery;

/** One instance of a service: its gRPC endpoint. {@code address} is how it is shown and sorted. */
public record InstanceKey(String service, String host, int port) {
  public String address() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
