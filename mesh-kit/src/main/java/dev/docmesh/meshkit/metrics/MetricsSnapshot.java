package dev.docmesh.meshkit.metrics;

import com.google.protobuf.Timestamp;
import dev.docmesh.proto.telemetry.v1.GetMetricsRequest;
import dev.docmesh.proto.telemetry.v1.GetMetricsResponse;
import dev.docmesh.proto.telemetry.v1.MetricFamily;
import dev.docmesh.proto.telemetry.v1.MetricType;
import dev.docmesh.proto.telemetry.v1.Sample;
import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import java.time.Instant;
import java.util.Enumeration;
import java.util.List;

/**
 * Copies a Prometheus registry into the {@code docmesh.telemetry.v1} snapshot, sample by sample.
 */
public final class MetricsSnapshot {
  private MetricsSnapshot() {}

  public static GetMetricsResponse of(
      CollectorRegistry registry,
      GetMetricsRequest request,
      String service,
      String instance,
      Instant startTime) {
    GetMetricsResponse.Builder out =
        GetMetricsResponse.newBuilder()
            .setService(service)
            .setInstance(instance)
            .setStartTime(timestamp(startTime))
            .setTime(timestamp(Instant.now()));
    List<String> prefixes = request.getNamePrefixesList();
    Enumeration<Collector.MetricFamilySamples> families = registry.metricFamilySamples();
    while (families.hasMoreElements()) {
      Collector.MetricFamilySamples family = families.nextElement();
      if (!prefixes.isEmpty() && prefixes.stream().noneMatch(family.name::startsWith)) {
        continue;
      }
      MetricFamily.Builder f =
          MetricFamily.newBuilder()
              .setName(family.name)
              .setType(type(family.type))
              .setHelp(family.help == null ? "" : family.help)
              .setUnit(family.unit == null ? "" : family.unit);
      for (Collector.MetricFamilySamples.Sample s : family.samples) {
        Sample.Builder sample = Sample.newBuilder().setName(s.name).setValue(s.value);
        for (int i = 0; i < s.labelNames.size(); i++) {
          sample.putLabels(s.labelNames.get(i), s.labelValues.get(i));
        }
        f.addSamples(sample);
      }
      out.addFamilies(f);
    }
    return out.build();
  }

  private static MetricType type(Collector.Type type) {
    return switch (type) {
      case COUNTER -> MetricType.METRIC_TYPE_COUNTER;
      case GAUGE -> MetricType.METRIC_TYPE_GAUGE;
      case HISTOGRAM -> MetricType.METRIC_TYPE_HISTOGRAM;
      case SUMMARY -> MetricType.METRIC_TYPE_SUMMARY;
      case INFO -> MetricType.METRIC_TYPE_INFO;
      case STATE_SET -> MetricType.METRIC_TYPE_STATE_SET;
      case GAUGE_HISTOGRAM -> MetricType.METRIC_TYPE_GAUGE_HISTOGRAM;
      default -> MetricType.METRIC_TYPE_UNKNOWN;
    };
  }

  private static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }
}
