package dev.docmesh.monitor;

import dev.docmesh.proto.monitor.v1.Alert;
import dev.docmesh.proto.monitor.v1.WatchAlertsResponse;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The {@code WatchAlerts} streams: every alert that starts firing or resolves. */
final class AlertWatchers {
  private final Set<ServerCallStreamObserver<WatchAlertsResponse>> streams =
      ConcurrentHashMap.newKeySet();

  void add(ServerCallStreamObserver<WatchAlertsResponse> stream, List<Alert> activeFirst) {
    stream.setOnCancelHandler(() -> streams.remove(stream));
    synchronized (stream) {
      // subscribe before sending the active ones: a change in between is sent twice, never lost
      streams.add(stream);
      activeFirst.forEach(a -> stream.onNext(WatchAlertsResponse.newBuilder().setAlert(a).build()));
    }
  }

  void publish(List<Alert> changes) {
    for (ServerCallStreamObserver<WatchAlertsResponse> s : streams) {
      synchronized (s) {
        if (!s.isCancelled()) {
          changes.forEach(a -> s.onNext(WatchAlertsResponse.newBuilder().setAlert(a).build()));
        }
      }
    }
  }

  void completeAll() {
    for (ServerCallStreamObserver<WatchAlertsResponse> s : streams) {
      streams.remove(s);
      synchronized (s) {
        if (!s.isCancelled()) {
          s.onCompleted();
        }
      }
    }
  }
}
