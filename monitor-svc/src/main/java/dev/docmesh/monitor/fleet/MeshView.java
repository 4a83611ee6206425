package dev.docmesh.monitor.fleet;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/** The mesh at one moment, as the rules and the status see it. */
public interface MeshView {
  Instant now();

  /** Every service the monitor expects, with or without instances. */
  Set<String> services();

  List<InstanceView> instances();

  default List<InstanceView> instances(String service) {
    return instances().stream().filter(i -> i.service().equals(service)).toList();
  }
}
