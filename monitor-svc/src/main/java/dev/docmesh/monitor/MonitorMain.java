package dev.docmesh.monitor;

import com.sun.net.httpserver.HttpHandler;
import dev.docmesh.meshkit.concurrent.DaemonThreads;
import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.security.Roles;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.server.ServiceLauncher;
import dev.docmesh.meshkit.server.ServiceLauncher.ServiceSpec;
import dev.docmesh.monitor.alerts.AlertRule;
import dev.docmesh.monitor.alerts.RuleEngine;
import dev.docmesh.monitor.alerts.RuleLoader;
import dev.docmesh.monitor.alerts.Silences;
import dev.docmesh.monitor.discovery.Discovery;
import dev.docmesh.monitor.fleet.Fleet;
import dev.docmesh.monitor.jobs.JobsTracker;
import dev.docmesh.monitor.notify.AlertmanagerNotifier;
import dev.docmesh.monitor.notify.LogNotifier;
import dev.docmesh.monitor.notify.NotificationDispatcher;
import dev.docmesh.monitor.notify.Notifier;
import dev.docmesh.monitor.notify.WebhookNotifier;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** monitor-svc: health, golden signals, alerts and the dashboard of the whole mesh. */
public final class MonitorMain {
  public static final ServiceSpec SPEC = new ServiceSpec("monitor", 50054, 9094);
  private static final Logger log = LoggerFactory.getLogger(MonitorMain.class);

  private MonitorMain() {}

  public static void main(String[] args) {
    ServiceLauncher.main(SPEC, MonitorMain::wire);
  }

  public static MeshServer start(Env env) {
    return ServiceLauncher.start(SPEC, env, MonitorMain::wire);
  }

  static void wire(MeshServer.Builder server, Env env) {
    wire(server, env, Clock.systemUTC());
  }

  /**
   * The wiring on a given clock: a test moves the monitor's time past repeat intervals and silences
   * instead of waiting.
   */
  static void wire(MeshServer.Builder server, Env env, Clock clock) {
    MonitorConfig config = MonitorConfig.fromEnv(env);
    // the dashboard's address is known once the HTTP port is bound (it may be ephemeral)
    AtomicReference<String> externalUrl = new AtomicReference<>(config.externalUrl().orElse(""));
    List<AlertRule> rules = config.rulesFile().map(RuleLoader::load).orElseGet(RuleLoader::builtIn);
    ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.factory("monitor-loop"));
    ScheduledExecutorService notifierThreads =
        Executors.newScheduledThreadPool(2, DaemonThreads.factory("monitor-notify"));

    Discovery discovery = Discovery.withSystemDns(config.targets());
    Fleet fleet =
        new Fleet(
            discovery.services(),
            scheduler,
            clock,
            server.telemetry().clientInterceptors(),
            server.security().channels(),
            config.downAfter(),
            config.history(),
            min(config.scrapeInterval(), Duration.ofSeconds(10)));
    Silences silences = new Silences();
    RuleEngine engine =
        new RuleEngine(rules, silences, config.repeatInterval(), config.alertHistory());
    NotificationDispatcher dispatcher =
        new NotificationDispatcher(
            notifiers(config, externalUrl::get, clock),
            notifierThreads,
            Duration.ofSeconds(1),
            config.notifyMaxBackoff());
    Optional<JobsTracker> jobs =
        config
            .jobsTarget()
            .map(
                target ->
                    new JobsTracker(
                        server
                            .security()
                            .channels()
                            .forTarget(target)
                            .defaultLoadBalancingPolicy("round_robin")
                            .intercept(server.telemetry().clientInterceptors())
                            .build(),
                        scheduler));
    Monitor monitor = new Monitor(config, scheduler, discovery, fleet, engine, dispatcher, jobs);
    MonitorApi api = new MonitorApi(monitor, silences);
    Dashboard dashboard = new Dashboard(api, monitor);

    server.addService(new MonitorServiceImpl(api, monitor));
    server.addHttpPage("/", dashboard.pages());
    // the page and its assets are open (they hold no data); the data needs a token when auth is on:
    // reads for operator and monitor, changes (silences) for operator only, as over gRPC
    HttpHandler reads =
        server.security().http().protect(dashboard.json(), Roles.OPERATOR, Roles.MONITOR);
    HttpHandler changes = server.security().http().protect(dashboard.json(), Roles.OPERATOR);
    server.addHttpPage(
        "/api/",
        exchange -> ("GET".equals(exchange.getRequestMethod()) ? reads : changes).handle(exchange));
    server.beforeStop(monitor::endStreams);
    server.afterStop(
        () -> {
          monitor.close();
          notifierThreads.shutdownNow();
        });
    log.atInfo()
        .addKeyValue("targets", config.targets().size())
        .addKeyValue("rules", rules.size())
        .log("monitoring {} with {} alert rules", discovery.services(), rules.size());
    server.afterStart(
        started -> {
          if (config.externalUrl().isEmpty()) {
            externalUrl.set("http://localhost:" + started.metricsPort() + "/");
          }
          monitor.start();
        });
  }

  private static List<Notifier> notifiers(
      MonitorConfig config, Supplier<String> externalUrl, Clock clock) {
    List<Notifier> out = new ArrayList<>();
    out.add(new LogNotifier());
    config
        .webhookUrl()
        .ifPresent(url -> out.add(new WebhookNotifier(url, externalUrl, config.notifyTimeout())));
    config
        .alertmanagerUrl()
        .ifPresent(
            url ->
                out.add(
                    new AlertmanagerNotifier(
                        url, externalUrl, config.repeatInterval(), config.notifyTimeout(), clock)));
    return out;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
