package dev.docmesh.orchestrator;

import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.WatchJobResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Collects a WatchJob stream. */
final class EventCollector implements StreamObserver<WatchJobResponse> {
  final List<JobEvent> events = new CopyOnWriteArrayList<>();
  final CountDownLatch done = new CountDownLatch(1);
  volatile Throwable error;

  @Override
  public void onNext(WatchJobResponse r) {
    events.add(r.getEvent());
  }

  @Override
  public void onError(Throwable t) {
    error = t;
    done.countDown();
  }

  @Override
  public void onCompleted() {
    done.countDown();
  }

  boolean awaitDone() throws InterruptedException {
    return done.await(20, TimeUnit.SECONDS);
  }

  List<Long> sequences() {
    return events.stream().map(JobEvent::getSequence).toList();
  }

  long lastSequence() {
    return events.isEmpty() ? 0 : events.get(events.size() - 1).getSequence();
  }
}
