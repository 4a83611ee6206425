package dev.docmesh.monitor.alerts;

import dev.docmesh.monitor.fleet.MeshView;
import java.util.List;

/**
 * What a rule checks: the label sets for which it is true now. Nothing known means nothing
 * breached.
 */
@FunctionalInterface
public interface Condition {
  List<Observation> breaches(MeshView mesh, AlertRule rule);
}
