package dev.docmesh.monitor;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.monitor.alerts.Silences;
import dev.docmesh.proto.monitor.v1.Alert;
import dev.docmesh.proto.monitor.v1.AlertState;
import dev.docmesh.proto.monitor.v1.GetMetricsSummaryRequest;
import dev.docmesh.proto.monitor.v1.GetMetricsSummaryResponse;
import dev.docmesh.proto.monitor.v1.GetSystemStatusResponse;
import dev.docmesh.proto.monitor.v1.ListAlertsRequest;
import dev.docmesh.proto.monitor.v1.ListAlertsResponse;
import dev.docmesh.proto.monitor.v1.SilenceAlertRequest;
import dev.docmesh.proto.monitor.v1.SilenceAlertResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;

/**
 * The monitor's unary API, validated as the contract says; the gRPC service and the JSON endpoints
 * both call it.
 */
final class MonitorApi {
  static final Duration DEFAULT_SUMMARY_WINDOW = Duration.ofMinutes(5);
  private static final Duration MIN_SILENCE = Duration.ofMinutes(1);
  private static final Duration MAX_SILENCE = Duration.ofDays(7);

  private final Monitor monitor;
  private final Silences silences;

  MonitorApi(Monitor monitor, Silences silences) {
    this.monitor = monitor;
    this.silences = silences;
  }

  GetSystemStatusResponse getSystemStatus() {
    return GetSystemStatusResponse.newBuilder().setStatus(monitor.status()).build();
  }

  GetMetricsSummaryResponse getMetricsSummary(GetMetricsSummaryRequest request) {
    Duration window = DEFAULT_SUMMARY_WINDOW;
    if (request.hasWindow()) {
      if (!isValid(request.getWindow()) || Durations.toMillis(request.getWindow()) <= 0) {
        throw Errors.invalidArgument("window", "must be a positive duration");
      }
      window = Duration.ofMillis(Durations.toMillis(request.getWindow()));
    }
    if (window.compareTo(monitor.config().history()) > 0) {
      window = monitor.config().history();
    }
    return GetMetricsSummaryResponse.newBuilder()
        .setSummary(SummaryBuilder.build(monitor.fleet(), window))
        .build();
  }

  ListAlertsResponse listAlerts(ListAlertsRequest request) {
    int pageSize = request.getPageSize() == 0 ? 100 : request.getPageSize();
    if (pageSize < 1 || pageSize > 1000) {
      throw Errors.invalidArgument("page_size", "must be from 1 to 1000");
    }
    int offset = offset(request.getPageToken());
    List<Alert> alerts = new ArrayList<>(monitor.engine().active());
    if (request.getIncludeResolved() || request.getState() == AlertState.ALERT_STATE_RESOLVED) {
      alerts.addAll(monitor.engine().resolved());
    }
    if (request.getState() != AlertState.ALERT_STATE_UNSPECIFIED) {
      alerts.removeIf(a -> a.getState() != request.getState());
    }
    alerts.sort(
        Comparator.comparing((Alert a) -> Timestamps.toMillis(a.getStartsAt()))
            .reversed()
            .thenComparing(Alert::getId));
    ListAlertsResponse.Builder out = ListAlertsResponse.newBuilder();
    int end = Math.min(alerts.size(), offset + pageSize);
    if (offset < end) {
      out.addAllAlerts(alerts.subList(offset, end));
    }
    if (end < alerts.size()) {
      out.setNextPageToken(token(end));
    }
    return out.build();
  }

  SilenceAlertResponse silenceAlert(SilenceAlertRequest request) {
    if (request.getRule().isBlank()) {
      throw Errors.invalidArgument("rule", "is required");
    }
    if (monitor.engine().rules().stream().noneMatch(r -> r.name().equals(request.getRule()))) {
      throw Errors.notFound("rule", request.getRule());
    }
    if (!request.hasDuration() || !isValid(request.getDuration())) {
      throw Errors.invalidArgument("duration", "is required, from 1 minute to 7 days");
    }
    Duration d = Duration.ofMillis(Durations.toMillis(request.getDuration()));
    if (d.compareTo(MIN_SILENCE) < 0 || d.compareTo(MAX_SILENCE) > 0) {
      throw Errors.invalidArgument("duration", "must be from 1 minute to 7 days");
    }
    return SilenceAlertResponse.newBuilder()
        .setSilence(
            silences.add(
                request.getRule(),
                request.getMatchersMap(),
                d,
                request.getComment(),
                request.getCreatedBy(),
                monitor.fleet().now()))
        .build();
  }

  private static boolean isValid(com.google.protobuf.Duration d) {
    return Durations.isValid(d);
  }

  /** Page tokens are opaque to clients; inside, the offset into the sorted list. */
  private static String token(int offset) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(("o:" + offset).getBytes(StandardCharsets.UTF_8));
  }

  private static int offset(String token) {
    if (token.isEmpty()) {
      return 0;
    }
    try {
      String s = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      if (s.startsWith("o:")) {
        int offset = Integer.parseInt(s.substring(2));
        if (offset >= 0) {
          return offset;
        }
      }
    } catch (IllegalArgumentException e) {
      // falls through to the error below
    }
    throw Errors.invalidArgument("page_token", "is not a token from a previous response");
  }
}
