package dev.docmesh.monitor;

import com.google.protobuf.util.Durations;
import dev.docmesh.meshkit.grpc.Errors;
import dev.docmesh.meshkit.grpc.Unary;
import dev.docmesh.proto.monitor.v1.GetMetricsSummaryRequest;
import dev.docmesh.proto.monitor.v1.GetMetricsSummaryResponse;
import dev.docmesh.proto.monitor.v1.GetSystemStatusRequest;
import dev.docmesh.proto.monitor.v1.GetSystemStatusResponse;
import dev.docmesh.proto.monitor.v1.ListAlertsRequest;
import dev.docmesh.proto.monitor.v1.ListAlertsResponse;
import dev.docmesh.proto.monitor.v1.MonitorServiceGrpc;
import dev.docmesh.proto.monitor.v1.SilenceAlertRequest;
import dev.docmesh.proto.monitor.v1.SilenceAlertResponse;
import dev.docmesh.proto.monitor.v1.WatchAlertsRequest;
import dev.docmesh.proto.monitor.v1.WatchAlertsResponse;
import dev.docmesh.proto.monitor.v1.WatchSystemStatusRequest;
import dev.docmesh.proto.monitor.v1.WatchSystemStatusResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;

/** {@code docmesh.monitor.v1.MonitorService}. */
final class MonitorServiceImpl extends MonitorServiceGrpc.MonitorServiceImplBase {
  private static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
  private static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

  private final MonitorApi api;
  private final Monitor monitor;

  MonitorServiceImpl(MonitorApi api, Monitor monitor) {
    this.api = api;
    this.monitor = monitor;
  }

  @Override
  public void getSystemStatus(
      GetSystemStatusRequest request, StreamObserver<GetSystemStatusResponse> response) {
    Unary.reply(response, api::getSystemStatus);
  }

  @Override
  public void getMetricsSummary(
      GetMetricsSummaryRequest request, StreamObserver<GetMetricsSummaryResponse> response) {
    Unary.reply(response, () -> api.getMetricsSummary(request));
  }

  @Override
  public void listAlerts(ListAlertsRequest request, StreamObserver<ListAlertsResponse> response) {
    Unary.reply(response, () -> api.listAlerts(request));
  }

  @Override
  public void silenceAlert(
      SilenceAlertRequest request, StreamObserver<SilenceAlertResponse> response) {
    Unary.reply(response, () -> api.silenceAlert(request));
  }

  @Override
  public void watchSystemStatus(
      WatchSystemStatusRequest request, StreamObserver<WatchSystemStatusResponse> response) {
    Duration interval = DEFAULT_INTERVAL;
    if (request.hasInterval()) {
      if (!Durations.isValid(request.getInterval())) {
        response.onError(Errors.invalidArgument("interval", "is not a valid duration"));
        return;
      }
      interval = Duration.ofMillis(Durations.toMillis(request.getInterval()));
      if (interval.compareTo(MIN_INTERVAL) < 0) {
        interval = MIN_INTERVAL;
      }
    }
    monitor
        .statusWatchers()
        .add((ServerCallStreamObserver<WatchSystemStatusResponse>) response, interval);
  }

  @Override
  public void watchAlerts(
      WatchAlertsRequest request, StreamObserver<WatchAlertsResponse> response) {
    monitor
        .alertWatchers()
        .add(
            (ServerCallStreamObserver<WatchAlertsResponse>) response,
            request.getIncludeActive() ? monitor.engine().firing() : List.of());
  }
}
