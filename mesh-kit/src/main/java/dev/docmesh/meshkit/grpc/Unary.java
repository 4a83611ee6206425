package dev.docmesh.meshkit.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
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
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    } catch (Exception e) {
      response.onError(errors.apply(e));
      return;
    }
    response.onNext(result);
    response.onCompleted();
  }

  private static StatusRuntimeException internal(Exception e) {
    log.error("call failed", e);
    return Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException();
  }
}
