package dev.docmesh.monitor.discovery;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the configured targets into instances. A static target is one instance; a DNS target is one
 * instance per address its name resolves to right now. When a name cannot be resolved, its last
 * known instances are kept: a DNS hiccup must not look like an outage.
 */
public final class Discovery {
  private static final Logger log = LoggerFactory.getLogger(Discovery.class);

  /** Name resolution, replaceable in tests. */
  @FunctionalInterface
  public interface Resolver {
    List<InetAddress> resolve(String host) throws UnknownHostException;
  }

  private final List<Target> targets;
  private final Resolver resolver;
  private final Map<Target, Set<InstanceKey>> lastKnown = new HashMap<>();

  public Discovery(List<Target> targets, Resolver resolver) {
    this.targets = List.copyOf(targets);
    this.resolver = resolver;
  }

  public static Discovery withSystemDns(List<Target> targets) {
    return new Discovery(targets, host -> List.of(InetAddress.getAllByName(host)));
  }

  /** The services the targets name, whether or not any instance exists right now. */
  public Set<String> services() {
    Set<String> out = new LinkedHashSet<>();
    targets.forEach(t -> out.add(t.service()));
    return out;
  }

  /** The instances right now. */
  public synchronized Set<InstanceKey> resolve() {
    Set<InstanceKey> out = new LinkedHashSet<>();
    for (Target t : targets) {
      if (!t.dns()) {
        out.add(new InstanceKey(t.service(), t.host(), t.port()));
        continue;
      }
      try {
        Set<InstanceKey> found = new LinkedHashSet<>();
        for (InetAddress a : resolver.resolve(t.host())) {
          found.add(new InstanceKey(t.service(), a.getHostAddress(), t.port()));
        }
        lastKnown.put(t, found);
        out.addAll(found);
      } catch (UnknownHostException e) {
        Set<InstanceKey> kept = lastKnown.getOrDefault(t, Set.of());
        log.warn(
            "cannot resolve {} for {}; keeping {} known instance(s)",
            t.host(),
            t.service(),
            kept.size());
        out.addAll(kept);
      }
    }
    return out;
  }
}
