package dev.docmesh.meshkit.server;

import com.sun.net.httpserver.HttpHandler;
import dev.docmesh.meshkit.concurrent.DaemonThreads;
import dev.docmesh.meshkit.config.MeshConfig;
import dev.docmesh.meshkit.metrics.MeshTelemetry;
import dev.docmesh.meshkit.metrics.MetricsHttpServer;
import dev.docmesh.meshkit.metrics.TelemetryServiceImpl;
import dev.docmesh.meshkit.security.MeshSecurity;
import dev.docmesh.meshkit.security.Policy;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A production gRPC server as every docmesh service runs it: keepalive and connection-age limits,
 * message size limit, standard health (the empty name and every service name), reflection v1 and
 * v1alpha (including the google.rpc error details), metrics and tracing interceptors, {@code
 * TelemetryService}, the HTTP metrics port, and a graceful shutdown that turns health NOT_SERVING
 * first.
 */
public final class MeshServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MeshServer.class);

  private final MeshConfig config;
  private final MeshTelemetry telemetry;
  private final MeshSecurity security;
  private final Server server;
  private final HealthStatusManager health;
  private final MetricsHttpServer http;
  private final List<String> serviceNames;
  private final List<Runnable> beforeStop;
  private final List<Runnable> afterStop;
  private final AtomicBoolean stopping = new AtomicBoolean();

  /** The executor of the calls not on the network threads; null when grpc's default serves. */
  private final ExecutorService handlerPool;

  /** What the HTTP {@code /healthz} answers: the same as gRPC health for the whole server. */
  private volatile boolean serving;

  private volatile Thread shutdownHook;

  private MeshServer(Builder b) throws IOException {
    this.config = b.config;
    this.telemetry = b.telemetry;
    this.security = b.security;
    this.health = new HealthStatusManager();
    this.beforeStop = List.copyOf(b.beforeStop);
    this.afterStop = List.copyOf(b.afterStop);

    List<ServerServiceDefinition> services = new ArrayList<>(b.services);
    services.add(
        new TelemetryServiceImpl(
                telemetry.registry(), config.service(), config.instanceId(), Instant.now())
            .bindService());
    this.serviceNames = services.stream().map(s -> s.getServiceDescriptor().getName()).toList();

    NettyServerBuilder nb =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(config.grpcPort()), security.serverCredentials())
            .maxInboundMessageSize(config.maxInboundMessageBytes())
            .keepAliveTime(config.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveTimeout(config.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .permitKeepAliveTime(config.permitKeepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
            .permitKeepAliveWithoutCalls(true)
            .maxConnectionAge(config.maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
            .maxConnectionAgeGrace(config.maxConnectionAgeGrace().toMillis(), TimeUnit.MILLISECONDS)
            .addService(health.getHealthService());
    if (security.reflection()) {
      nb.addService(ProtoReflectionServiceV1.newInstance())
          .addService(legacyReflection())
          .addService(ErrorDetailsReflection.definition());
    }
    BlockingCalls offload = null;
    ExecutorService pool = null;
    if (b.handlersOnNetworkThreads) {
      nb.directExecutor();
    } else if (!b.nonBlocking.isEmpty()) {
      // The listed methods (and health checks) run where the call was read; every other call
      // goes to a pool as usual, since it may block (disk, locks held for long, waits).
      pool = Executors.newCachedThreadPool(DaemonThreads.factory(config.service() + "-handlers"));
      Set<String> direct = new HashSet<>(b.nonBlocking);
      direct.add(HealthGrpc.getCheckMethod().getFullMethodName());
      nb.directExecutor();
      offload = new BlockingCalls(direct, pool);
    }
    this.handlerPool = pool;
    services.forEach(nb::addService);
    warnUnguarded(services);
    // ServerBuilder applies interceptors last-added-first; add inner ones first. Authentication
    // runs inside metrics (refused calls are counted) and outside the service's own interceptors.
    List<ServerInterceptor> interceptors = new ArrayList<>(telemetry.serverInterceptors());
    interceptors.add(0, security.interceptor());
    interceptors.addAll(0, b.interceptors);
    if (offload != null) {
      interceptors.add(offload); // outermost: added last
    }
    for (ServerInterceptor i : interceptors) {
      nb.intercept(i);
    }
    this.server = nb.build().start();
    try {
      this.http =
          new MetricsHttpServer(
              config.metricsPort(),
              telemetry.registry(),
              b.pages,
              security.http(),
              security.metricsRequireAuth(),
              security.healthzRequireAuth(),
              () -> serving && !stopping.get());
    } catch (IOException e) {
      server.shutdownNow();
      throw e;
    }
    for (String name : serviceNames) {
      health.setStatus(name, ServingStatus.SERVING);
    }
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    serving = true;
    security.logSummary(config.service());
    log.atInfo()
        .addKeyValue("service", config.service())
        .addKeyValue("instance", config.instanceId())
        .addKeyValue("grpc_port", grpcPort())
        .addKeyValue("metrics_port", metricsPort())
        .log("docmesh {} serving {}", config.service(), serviceNames);
  }

  /** Default deny: say at start-up which RPCs will be refused for want of a policy entry. */
  private static void warnUnguarded(List<ServerServiceDefinition> services) {
    List<String> missing =
        services.stream()
            .flatMap(s -> s.getMethods().stream())
            .map(m -> m.getMethodDescriptor().getFullMethodName())
            .filter(m -> Policy.ruleFor(m).isEmpty())
            .toList();
    if (!missing.isEmpty()) {
      log.error(
          "RPCs without an entry in the access policy (dev.docmesh.meshkit.security.Policy) are refused: {}",
          missing);
    }
  }

  @SuppressWarnings("deprecation") // v1alpha on purpose: grpcurl before 1.8.8 speaks only it
  private static BindableService legacyReflection() {
    return ProtoReflectionService.newInstance();
  }

  public static Builder builder(MeshConfig config, MeshTelemetry telemetry) {
    return new Builder(config, telemetry);
  }

  public int grpcPort() {
    return server.getPort();
  }

  public int metricsPort() {
    return http.port();
  }

  public MeshConfig config() {
    return config;
  }

  public MeshTelemetry telemetry() {
    return telemetry;
  }

  public MeshSecurity security() {
    return security;
  }

  /** Fully-qualified names of the application services, each with its own health status. */
  public List<String> serviceNames() {
    return serviceNames;
  }

  /**
   * Marks the whole server (and each of its services) SERVING or NOT_SERVING, e.g. while draining.
   */
  public void setServing(boolean serving) {
    ServingStatus status = serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    for (String name : serviceNames) {
      health.setStatus(name, status);
    }
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
    this.serving = serving;
  }

  public boolean isShutdown() {
    return stopping.get();
  }

  public boolean isTerminated() {
    return server.isTerminated();
  }

  /**
   * Health NOT_SERVING, then the service's before-stop work (drain), stop accepting calls, wait up
   * to the grace for in-flight calls, force the rest, then the after-stop work (close stores).
   * Idempotent; blocks until done.
   */
  public void shutdown() {
    if (!stopping.compareAndSet(false, true)) {
      awaitQuietly();
      return;
    }
    long start = System.nanoTime();
    log.info("docmesh {} shutting down: health NOT_SERVING", config.service());
    health.enterTerminalState();
    runAll(beforeStop, "before-stop");
    server.shutdown();
    boolean clean;
    try {
      clean = server.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS);
      if (!clean) {
        log.warn("in-flight calls still running after {}; cancelling them", config.shutdownGrace());
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
      clean = false;
    }
    http.close();
    if (handlerPool != null) {
      handlerPool.shutdown();
    }
    runAll(afterStop, "after-stop");
    security.close();
    telemetry.close();
    log.atInfo()
        .addKeyValue("took_ms", Duration.ofNanos(System.nanoTime() - start).toMillis())
        .addKeyValue("clean", clean)
        .log("docmesh {} stopped", config.service());
  }

  private void awaitQuietly() {
    try {
      server.awaitTermination();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void runAll(List<Runnable> hooks, String phase) {
    for (Runnable r : hooks) {
      try {
        r.run();
      } catch (RuntimeException e) {
        log.error("{} hook failed", phase, e);
      }
    }
  }

  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** SIGTERM/SIGINT run {@link #shutdown()} and the JVM exits once it returns. */
  public MeshServer installShutdownHook() {
    Thread hook = new Thread(this::shutdown, "shutdown-" + config.service());
    Runtime.getRuntime().addShutdownHook(hook);
    shutdownHook = hook;
    return this;
  }

  @Override
  public void close() {
    Thread hook = shutdownHook;
    if (hook != null && hook != Thread.currentThread()) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // the hook is running or has run; shutdown() below just waits for it
      }
    }
    shutdown();
  }

  /** Collects what a service adds to the standard server. */
  public static final class Builder {
    private final MeshConfig config;
    private final MeshTelemetry telemetry;
    private MeshSecurity security = MeshSecurity.off();
    private final List<ServerServiceDefinition> services = new ArrayList<>();
    private final List<ServerInterceptor> interceptors = new ArrayList<>();
    private final Map<String, HttpHandler> pages = new LinkedHashMap<>();
    private final List<Runnable> beforeStop = new ArrayList<>();
    private final List<Runnable> afterStop = new ArrayList<>();
    private final List<Consumer<MeshServer>> afterStart = new ArrayList<>();
    private boolean handlersOnNetworkThreads;
    private final Set<String> nonBlocking = new HashSet<>();

    private Builder(MeshConfig config, MeshTelemetry telemetry) {
      this.config = config;
      this.telemetry = telemetry;
    }

    public MeshConfig config() {
      return config;
    }

    public MeshTelemetry telemetry() {
      return telemetry;
    }

    /**
     * TLS, authentication and the client channels; plaintext with authentication off unless set.
     */
    public Builder security(MeshSecurity security) {
      this.security = security;
      return this;
    }

    public MeshSecurity security() {
      return security;
    }

    public Builder addService(BindableService service) {
      services.add(service.bindService());
      return this;
    }

    public Builder addService(ServerServiceDefinition service) {
      services.add(service);
      return this;
    }

    /**
     * Runs every handler (and interceptor) on the network thread that read the call, instead of
     * handing each call to an executor thread first: one thread hand-off less per call, for a
     * service whose handlers never block (they answer at once or hand the work to their own pool).
     */
    public Builder handlersOnNetworkThreads() {
      this.handlersOnNetworkThreads = true;
      return this;
    }

    /**
     * Runs the handlers of {@code methods} (and health checks) on the network threads, as {@link
     * #handlersOnNetworkThreads()} does for every method: for methods that never wait (no disk
     * flush, no sleep, no long lock) on a service whose other methods may. Every other call runs on
     * a pool of the server's own.
     */
    public Builder handlersOnNetworkThreads(MethodDescriptor<?, ?>... methods) {
      for (MethodDescriptor<?, ?> m : methods) {
        nonBlocking.add(m.getFullMethodName());
      }
      return this;
    }

    /** An interceptor inside the metrics and tracing ones (sees calls after they are counted). */
    public Builder intercept(ServerInterceptor interceptor) {
      interceptors.add(interceptor);
      return this;
    }

    /** An HTTP page on the metrics port, e.g. the monitor's dashboard at "/". */
    public Builder addHttpPage(String path, HttpHandler handler) {
      pages.put(path, handler);
      return this;
    }

    /** Runs after health turns NOT_SERVING and before the server stops accepting calls. */
    public Builder beforeStop(Runnable hook) {
      beforeStop.add(hook);
      return this;
    }

    /**
     * Runs once the server is up and SERVING, e.g. to start background loops that need the server
     * (a worker that turns health NOT_SERVING when it drains). A failure stops the server.
     */
    public Builder afterStart(Consumer<MeshServer> hook) {
      afterStart.add(hook);
      return this;
    }

    /** Runs after the server has stopped (close stores, executors). */
    public Builder afterStop(Runnable hook) {
      afterStop.add(hook);
      return this;
    }

    public MeshServer start() {
      MeshServer server;
      try {
        server = new MeshServer(this);
      } catch (IOException e) {
        security.close();
        throw new UncheckedIOException(
            "cannot start "
                + config.service()
                + " on gRPC port "
                + config.grpcPort()
                + " / HTTP port "
                + config.metricsPort()
                + ": "
                + e.getMessage(),
            e);
      }
      try {
        afterStart.forEach(hook -> hook.accept(server));
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
      return server;
    }
  }
}
