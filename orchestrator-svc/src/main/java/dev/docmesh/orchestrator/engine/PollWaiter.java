package dev.docmesh.orchestrator.engine;

import dev.docmesh.proto.relay.v1.OpaqueTask;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;

/** A PollTask call parked until a task it can run is READY or its wait ends. */
final class PollWaiter {
  final String workerId;
  final Set<String> processors;

  /** Most follow-on stages it will run after its task (PollTaskRequest.max_follow_ons). */
  final int maxFollowOns;

  private final PollReply reply;
  ScheduledFuture<?> timeout;

  PollWaiter(String workerId, Set<String> processors, int maxFollowOns, PollReply reply) {
    this.workerId = workerId;
    this.processors = processors;
    this.maxFollowOns = maxFollowOns;
    this.reply = reply;
  }

  boolean isGone() {
    return reply.isGone();
  }

  void cancelTimeout() {
    if (timeout != null) {
      timeout.cancel(false);
    }
  }

  /** {@code task} (null: none); false when the caller is gone and the answer cannot reach it. */
  boolean answer(OpaqueTask task) {
    return !reply.isGone() && reply.answer(task);
  }

  void fail(RuntimeException e) {
    reply.fail(e);
  }
}
