package dev.docmesh.worker;

import dev.docmesh.proto.processor.v1.ListProcessorsRequest;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processors the connected processor service offers, which the worker names in every poll.
 * Refreshed periodically; the last good list is kept while the service is unreachable.
 */
final class ProcessorCatalog {
  private static final Logger log = LoggerFactory.getLogger(ProcessorCatalog.class);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);

  private final ProcessorServiceGrpc.ProcessorServiceBlockingStub stub;
  private final CircuitBreaker breaker;
  private volatile List<String> names = List.of();

  ProcessorCatalog(ProcessorServiceGrpc.ProcessorServiceBlockingStub stub, CircuitBreaker breaker) {
    this.stub = stub;
    this.breaker = breaker;
  }

  List<String> names() {
    return names;
  }

  /**
   * One refresh; while the circuit is open only its probe gets through. True when the list is
   * fresh.
   */
  boolean refresh() {
    if (!breaker.tryAcquire()) {
      return false;
    }
    try {
      List<String> fresh =
          stub
              .withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
              .listProcessors(ListProcessorsRequest.getDefaultInstance())
              .getProcessorsList()
              .stream()
              .map(ProcessorInfo::getName)
              .sorted()
              .toList();
      breaker.onSuccess();
      if (!fresh.equals(names)) {
        log.info("processors offered: {}", fresh);
      }
      names = fresh;
      return true;
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
        breaker.onFailure();
      } else {
        breaker.onSuccess();
      }
      log.warn(
          "cannot list processors: {} {}", e.getStatus().getCode(), e.getStatus().getDescription());
      return false;
    }
  }
}
