package dev.docmesh.monitor;

import dev.docmesh.monitor.alerts.Evaluation;
import dev.docmesh.monitor.alerts.RuleEngine;
import dev.docmesh.monitor.discovery.Discovery;
import dev.docmesh.monitor.fleet.Fleet;
import dev.docmesh.monitor.jobs.JobsTracker;
import dev.docmesh.monitor.notify.NotificationDispatcher;
import dev.docmesh.proto.monitor.v1.SystemStatus;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor's loop: re-discover instances, scrape their metrics, evaluate the rules, notify, and
 * tell the watchers. All on one scheduler thread, so the steps never overlap; the scrapes
 * themselves are asynchronous and notifications are delivered on their own threads.
 */
final class Monitor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Monitor.class);

  private final MonitorConfig config;
  private final ScheduledExecutorService scheduler;
  private final Discovery discovery;
  private final Fleet fleet;
  private final RuleEngine engine;
  private final NotificationDispatcher dispatcher;
  private final Optional<JobsTracker> jobs;
  private final ChartHistory charts;
  private final StatusWatchers statusWatchers;
  private final AlertWatchers alertWatchers = new AlertWatchers();

  Monitor(
      MonitorConfig config,
      ScheduledExecutorService scheduler,
      Discovery discovery,
      Fleet fleet,
      RuleEngine engine,
      NotificationDispatcher dispatcher,
      Optional<JobsTracker> jobs) {
    this.config = config;
    this.scheduler = scheduler;
    this.discovery = discovery;
    this.fleet = fleet;
    this.engine = engine;
    this.dispatcher = dispatcher;
    this.jobs = jobs;
    this.charts = new ChartHistory(config.history());
    this.statusWatchers = new StatusWatchers(scheduler, this::status);
  }

  void start() {
    every(config.resolveInterval().toMillis(), 0, this::discover);
    every(config.scrapeInterval().toMillis(), 50, this::scrape);
    every(
        config.evaluationInterval().toMillis(),
        config.evaluationInterval().toMillis(),
        this::evaluate);
    jobs.ifPresent(JobsTracker::start);
  }

  private void every(long periodMillis, long initialDelayMillis, Runnable step) {
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            step.run();
          } catch (RuntimeException e) {
            // a failed step must not cancel the schedule, or the monitor silently goes blind
            log.error("monitor step failed", e);
          }
        },
        initialDelayMillis,
        periodMillis,
        TimeUnit.MILLISECONDS);
  }

  private void discover() {
    fleet.reconcile(discovery.resolve());
  }

  private void scrape() {
    // the point for the charts comes from the scrapes that have landed so far
    charts.record(fleet);
    fleet.scrapeAll();
  }

  void evaluate() {
    Evaluation result = engine.evaluate(fleet);
    dispatcher.submit(result.notifications());
    if (!result.changes().isEmpty()) {
      alertWatchers.publish(result.changes());
    }
    statusWatchers.changed(status());
  }

  SystemStatus status() {
    return StatusBuilder.build(fleet, engine.firing(), jobs.map(JobsTracker::activeJobs).orElse(0));
  }

  Fleet fleet() {
    return fleet;
  }

  RuleEngine engine() {
    return engine;
  }

  ChartHistory charts() {
    return charts;
  }

  Optional<JobsTracker> jobs() {
    return jobs;
  }

  StatusWatchers statusWatchers() {
    return statusWatchers;
  }

  AlertWatchers alertWatchers() {
    return alertWatchers;
  }

  MonitorConfig config() {
    return config;
  }

  /** Ends the watch streams, so they do not hold up the monitor's own graceful shutdown. */
  void endStreams() {
    statusWatchers.completeAll();
    alertWatchers.completeAll();
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    jobs.ifPresent(JobsTracker::close);
    fleet.close();
    dispatcher.close();
  }
}
