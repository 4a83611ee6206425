package dev.docmesh.orchestrator.engine;

import dev.docmesh.proto.relay.v1.OpaqueTask;

/** Where the answer to one PollTask goes; the gRPC edge implements it over the call. */
public interface PollReply {
  /** True once the caller went away (cancelled, deadline passed): an answer would not reach it. */
  boolean isGone();

  /** Runs {@code r} when the caller goes away. */
  void onGone(Runnable r);

  /**
   * Answers with {@code task}, or with "no task" when it is null; false when it could not reach the
   * caller.
   */
  boolean answer(OpaqueTask task);

  /** Ends the poll with one of the core's failures. */
  void fail(RuntimeException error);
}
