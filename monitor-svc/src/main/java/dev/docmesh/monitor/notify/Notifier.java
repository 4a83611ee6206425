package dev.docmesh.monitor.notify;

import dev.docmesh.proto.monitor.v1.Alert;
import java.util.List;

/**
 * A receiver of alert notifications. {@link #send} throws when delivery failed and should be
 * retried.
 */
public interface Notifier {
  String name();

  void send(List<Alert> alerts) throws Exception;
}
