package dev.docmesh.meshkit.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Answers a unary call from a body that returns its response or throws its error. */
public final class Unary {
  private static final Logger log = LoggerFactory.getLogger(Unary.class);

  private Unary() {}

  /** The body of a unary call. */
  @FunctionalInterface
  public interface Body<T> {
    T run() throws Exception;
  }

  /**
   * Sends the body's answer, or its gRPC error; any other exception becomes INTERNAL (logged, since
   * the client sees only its message).
   */
  public static <T> void reply(StreamObserver<T> response, Body<T> body) {
    reply(response, body, Unary::internal);
  }

  /**
   * As {@link #reply(StreamObserver, Body)}, with the service's own mapping of its domain failures
   * to statuses (the one place each service turns its core's exceptions into gRPC errors).
   */
  public static <T> void reply(
      StreamObserver<T> response,
      Body<T> body,
      Function<Exception, StatusRuntimeException> errors) {
    T result;
    try {
      result = body.run();
    } catch (Exception e) {
      response.onError(status(e, errors));
      return;
    }
    response.onNext(result);
    response.onCompleted();
  }

  /**
   * As {@link #reply(StreamObserver, Body, Function)} for a body that answers later (its change
   * still to become durable, say): the call is answered when the stage completes, on the thread
   * that completes it; a body that throws is answered at once.
   */
  public static <T> void replyWhenDone(
      StreamObserver<T> response,
      Body<? extends CompletionStage<T>> body,
      Function<Exception, StatusRuntimeException> errors) {
    CompletionStage<T> later;
    try {
      later = body.run();
    } catch (Exception e) {
      response.onError(status(e, errors));
      return;
    }
    later.whenComplete(
        (result, failure) -> {
          if (failure == null) {
            response.onNext(result);
            response.onCompleted();
            return;
          }
          Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
          response.onError(
              cause instanceof Exception e
                  ? status(e, errors)
                  : internal(new IllegalStateException(cause)));
        });
  }

  private static StatusRuntimeException status(
      Exception e, Function<Exception, StatusRuntimeException> errors) {
    return e instanceof StatusRuntimeException s ? s : errors.apply(e);
  }

  private static StatusRuntimeException internal(Exception e) {
    log.error("call failed", e);
    return Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException();
  }
}
