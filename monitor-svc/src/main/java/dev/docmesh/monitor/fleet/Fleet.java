package dev.docmesh.monitor.fleet;

import dev.docmesh.meshkit.security.MeshChannels;
import dev.docmesh.monitor.discovery.InstanceKey;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every watched instance. Instances come and go as discovery finds them. */
public final class Fleet implements MeshView, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Fleet.class);

  private final Set<String> services;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final List<ClientInterceptor> interceptors;
  private final MeshChannels channels;
  private final Duration downAfter;
  private final Duration retention;
  private final Duration scrapeTimeout;
  private final Map<InstanceKey, Instance> instances = new ConcurrentHashMap<>();

  public Fleet(
      Set<String> services,
      ScheduledExecutorService scheduler,
      Clock clock,
      List<ClientInterceptor> interceptors,
      MeshChannels channels,
      Duration downAfter,
      Duration retention,
      Duration scrapeTimeout) {
    this.services = Set.copyOf(services);
    this.scheduler = scheduler;
    this.clock = clock;
    this.interceptors = List.copyOf(interceptors);
    this.channels = channels;
    this.downAfter = downAfter;
    this.retention = retention;
    this.scrapeTimeout = scrapeTimeout;
  }

  /** Starts watching new instances and stops watching those that are gone. */
  public synchronized void reconcile(Set<InstanceKey> current) {
    for (InstanceKey gone : new HashSet<>(instances.keySet())) {
      if (!current.contains(gone)) {
        log.info("instance {} {} is gone", gone.service(), gone.address());
        instances.remove(gone).close();
      }
    }
    for (InstanceKey key : current) {
      if (!instances.containsKey(key)) {
        log.info("watching {} {}", key.service(), key.address());
        Instance instance =
            new Instance(key, channel(key), scheduler, clock, downAfter, retention, scrapeTimeout);
        instances.put(key, instance);
        instance.start();
      }
    }
  }

  private ManagedChannel channel(InstanceKey key) {
    NettyChannelBuilder b = channels.forAddress(key.host(), key.port());
    if (channels.tls() && isIpLiteral(key.host()) && !key.host().startsWith("127.")) {
      // an instance found through DNS is dialled by its pod IP, which its certificate does not
      // name: verify the certificate against the service name instead (a SAN of every service's
      // certificate, see scripts/dev-certs.sh)
      b.overrideAuthority(key.service() + ":" + key.port());
    }
    return b.intercept(interceptors).build();
  }

  private static boolean isIpLiteral(String host) {
    return host.indexOf(':') >= 0 || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
  }

  public void scrapeAll() {
    instances.values().forEach(Instance::scrape);
  }

  @Override
  public Instant now() {
    return clock.instant();
  }

  @Override
  public Set<String> services() {
    Set<String> out = new LinkedHashSet<>(services);
    instances.keySet().forEach(k -> out.add(k.service()));
    return out;
  }

  @Override
  public List<InstanceView> instances() {
    List<InstanceView> out = new ArrayList<>(instances.values());
    out.sort(Comparator.comparing(InstanceView::service).thenComparing(InstanceView::address));
    return out;
  }

  @Override
  public synchronized void close() {
    instances.values().forEach(Instance::close);
    instances.clear();
  }
}
