package dev.docmesh.monitor;

import dev.docmesh.meshkit.config.ConfigException;
import dev.docmesh.meshkit.config.Env;
import dev.docmesh.monitor.discovery.Target;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The monitor's own settings, from {@code DOCMESH_MONITOR_*} (documented in the README's
 * configuration section).
 */
public record MonitorConfig(
    List<Target> targets,
    Duration resolveInterval,
    Duration downAfter,
    Duration scrapeInterval,
    Duration evaluationInterval,
    Duration history,
    Optional<Path> rulesFile,
    Duration repeatInterval,
    int alertHistory,
    Optional<URI> webhookUrl,
    Optional<URI> alertmanagerUrl,
    Duration notifyTimeout,
    Duration notifyMaxBackoff,
    Optional<String> jobsTarget,
    Optional<String> externalUrl) {

  static final String TARGETS = "DOCMESH_MONITOR_TARGETS";
  static final String DEFAULT_TARGETS =
      "orchestrator=localhost:50051,processor=localhost:50052,worker=localhost:50053,monitor=localhost:50054";

  static MonitorConfig fromEnv(Env env) {
    List<Target> targets = Target.parseList(TARGETS, env.string(TARGETS, DEFAULT_TARGETS));
    Duration scrape = positive(env, "DOCMESH_MONITOR_SCRAPE_INTERVAL", Duration.ofSeconds(5));
    Duration history = positive(env, "DOCMESH_MONITOR_HISTORY", Duration.ofMinutes(15));
    if (history.compareTo(scrape.multipliedBy(2)) < 0) {
      throw new ConfigException(
          "DOCMESH_MONITOR_HISTORY must hold at least two scrapes (DOCMESH_MONITOR_SCRAPE_INTERVAL="
              + scrape
              + ")");
    }
    return new MonitorConfig(
        targets,
        positive(env, "DOCMESH_MONITOR_RESOLVE_INTERVAL", Duration.ofSeconds(30)),
        env.duration("DOCMESH_MONITOR_DOWN_AFTER", Duration.ofSeconds(15)),
        scrape,
        positive(env, "DOCMESH_MONITOR_EVALUATION_INTERVAL", Duration.ofSeconds(5)),
        history,
        env.raw("DOCMESH_MONITOR_RULES_FILE").map(Path::of),
        positive(env, "DOCMESH_MONITOR_REPEAT_INTERVAL", Duration.ofHours(4)),
        env.integer("DOCMESH_MONITOR_ALERT_HISTORY", 1000, 1, 1_000_000),
        url(env, "DOCMESH_MONITOR_WEBHOOK_URL"),
        url(env, "DOCMESH_MONITOR_ALERTMANAGER_URL"),
        positive(env, "DOCMESH_MONITOR_NOTIFY_TIMEOUT", Duration.ofSeconds(10)),
        positive(env, "DOCMESH_MONITOR_NOTIFY_MAX_BACKOFF", Duration.ofMinutes(5)),
        env.raw("DOCMESH_MONITOR_JOBS_TARGET")
            .or(() -> orchestratorTarget(targets))
            .filter(t -> !t.equals("off")),
        env.raw("DOCMESH_MONITOR_EXTERNAL_URL"));
  }

  /**
   * The orchestrator the targets name, as a gRPC target (dns:/// so every replica is reachable).
   */
  private static Optional<String> orchestratorTarget(List<Target> targets) {
    return targets.stream()
        .filter(t -> t.service().equals("orchestrator"))
        .findFirst()
        .map(t -> (t.dns() ? "dns:///" : "") + t.host() + ":" + t.port());
  }

  private static Duration positive(Env env, String name, Duration defaultValue) {
    Duration d = env.duration(name, defaultValue);
    if (d.isZero()) {
      throw new ConfigException(name + " must be longer than 0");
    }
    return d;
  }

  private static Optional<URI> url(Env env, String name) {
    return env.raw(name)
        .map(
            text -> {
              try {
                URI uri = URI.create(text);
                if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                  throw new IllegalArgumentException("not http(s)");
                }
                return uri;
              } catch (IllegalArgumentException e) {
                throw new ConfigException(
                    name + "='" + text + "' is not valid: expected an http(s) URL");
              }
            });
  }
}
