package dev.docmesh.processor;

import com.google.protobuf.ByteString;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real processor server on loopback and a client for it. */
final class ProcessorHarness
    implements AutoCloseable, org.junit.jupiter.api.extension.AfterAllCallback {
  final MeshServer server;
  final ManagedChannel channel;
  final ProcessorServiceGrpc.ProcessorServiceBlockingStub stub;

  /** What one Process call produced: progress events in order, then a result or an error. */
  record Outcome(
      List<ProcessResponse> responses, StageOutput result, StatusRuntimeException error) {
    List<Progress> progress() {
      return responses.stream()
          .filter(ProcessResponse::hasProgress)
          .map(ProcessResponse::getProgress)
          .toList();
    }

    StageOutput ok() {
      if (error != null) {
        throw new AssertionError("expected a result, got " + error.getStatus(), error);
      }
      return result;
    }
  }

  /**
   * Every event of one Process call in order, and the error that ended the stream (null when it
   * completed).
   */
  record Events(List<ProcessResponse> responses, StatusRuntimeException error) {
    /** The results in the order they came, by the stage they carry ("" for the call's own). */
    Map<String, StageOutput> results() {
      Map<String, StageOutput> results = new LinkedHashMap<>();
      for (ProcessResponse r : responses) {
        if (r.hasResult() && results.put(r.getStage(), r.getResult()) != null) {
          throw new AssertionError("a second result for stage '" + r.getStage() + "'");
        }
      }
      return results;
    }

    List<Progress> progress(String stage) {
      return responses.stream()
          .filter(r -> r.hasProgress() && r.getStage().equals(stage))
          .map(ProcessResponse::getProgress)
          .toList();
    }

    /** Whether any event carries {@code stage}. */
    boolean any(String stage) {
      return responses.stream().anyMatch(r -> r.getStage().equals(stage));
    }
  }

  ProcessorHarness(Map<String, String> env) {
    server = ProcessorMain.start(Loopback.env(env));
    channel = Loopback.channel(server.grpcPort());
    stub = ProcessorServiceGrpc.newBlockingStub(channel);
  }

  ProcessorHarness() {
    this(Map.of());
  }

  Outcome process(ProcessRequest request) {
    return process(request, 60);
  }

  Outcome process(ProcessRequest request, long deadlineSeconds) {
    Events events = events(request, deadlineSeconds);
    List<ProcessResponse> responses = events.responses();
    if (events.error() != null) {
      return new Outcome(responses, null, events.error());
    }
    StageOutput result = null;
    for (ProcessResponse r : responses) {
      if (r.hasResult()) {
        if (result != null) {
          throw new AssertionError("more than one result");
        }
        result = r.getResult();
      } else if (result != null) {
        throw new AssertionError("an event after the result");
      }
    }
    if (result == null) {
      throw new AssertionError("the stream completed without a result");
    }
    return new Outcome(responses, result, null);
  }

  Events events(ProcessRequest request) {
    return events(request, 60);
  }

  Events events(ProcessRequest request, long deadlineSeconds) {
    List<ProcessResponse> responses = new ArrayList<>();
    try {
      Iterator<ProcessResponse> it =
          stub.withDeadlineAfter(deadlineSeconds, TimeUnit.SECONDS).process(request);
      while (it.hasNext()) {
        responses.add(it.next());
      }
    } catch (StatusRuntimeException e) {
      return new Events(responses, e);
    }
    return new Events(responses, null);
  }

  Outcome process(String processor, byte[] content) {
    return process(request(processor, content).build());
  }

  static ProcessRequest.Builder request(String processor, byte[] content) {
    return ProcessRequest.newBuilder()
        .setProcessor(processor)
        .setContent(ByteString.copyFrom(content));
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  /** As a class-level {@code @RegisterExtension}: the server is closed after the class's tests. */
  @Override
  public void afterAll(org.junit.jupiter.api.extension.ExtensionContext context)
      throws InterruptedException {
    close();
  }
}
