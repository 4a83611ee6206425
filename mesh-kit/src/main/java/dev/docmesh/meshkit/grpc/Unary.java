package dev.docmesh.meshkit.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
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
   * Sends the body's answer, or its gRPC error; any other exception becomes INTERNAL (logged,
   * since the client sees only its message).
   */
  public static <T> void reply(StreamObserver<T> response, Body<T> body) {
    T result;
    try {
      result = body.run();
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    } catch (Exception e) {
      log.error("call failed", e);
      response.onError(Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    response.onNext(result);
    response.onCompleted();
  }
}
