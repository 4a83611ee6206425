package dev.docmesh.worker.fakes;

import dev.docmesh.proto.document.v1.Progress;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.document.v1.ValidationReport;
import dev.docmesh.proto.processor.v1.ListProcessorsRequest;
import dev.docmesh.proto.processor.v1.ListProcessorsResponse;
import dev.docmesh.proto.processor.v1.ProcessRequest;
import dev.docmesh.proto.processor.v1.ProcessResponse;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import dev.docmesh.proto.processor.v1.ProcessorServiceGrpc;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted processor service: what {@code Process} does is up to the test. Records every request,
 * the {@code traceparent} it arrived with, and every call the client cancelled.
 */
public final class FakeProcessor extends ProcessorServiceGrpc.ProcessorServiceImplBase {
  /** What one Process call does. */
  public interface Behaviour {
    void process(ProcessRequest request, ServerCallStreamObserver<ProcessResponse> out)
        throws Exception;
  }

  public static final StageOutput VALID =
      StageOutput.newBuilder()
          .setValidation(ValidationReport.newBuilder().setValid(true).setPageCount(3))
          .build();

  public final List<ProcessRequest> requests = new CopyOnWriteArrayList<>();
  public final List<String> traceparents = new CopyOnWriteArrayList<>();
  public final AtomicInteger cancelledCalls = new AtomicInteger();
  private final List<String> names;
  public volatile Behaviour behaviour = FakeProcessor::answerValid;

  public FakeProcessor(String... names) {
    this.names = List.of(names);
  }

  /** Every call waits, once started, until the test releases it; then it answers valid. */
  public Gate holdCalls() {
    Gate gate = new Gate();
    behaviour =
        (request, out) -> {
          gate.started.countDown();
          gate.release.await(20, TimeUnit.SECONDS);
          answerValid(request, out);
        };
    return gate;
  }

  /** The test's side of {@link #holdCalls()}. */
  public static final class Gate {
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    /** True once a call is being held, within 15 seconds. */
    public boolean started() throws InterruptedException {
      return started.await(15, TimeUnit.SECONDS);
    }

    public void release() {
      release.countDown();
    }
  }

  /** Answers at once with a validation report. */
  public static void answerValid(
      ProcessRequest request, ServerCallStreamObserver<ProcessResponse> out) {
    out.onNext(ProcessResponse.newBuilder().setResult(VALID).build());
    out.onCompleted();
  }

  /** Reports progress, then waits until the client cancels the call (or 60 s pass). */
  public static Behaviour hangUntilCancelled(CountDownLatch started) {
    return (request, out) -> {
      out.onNext(progress(1, 10));
      started.countDown();
      CountDownLatch cancelled = new CountDownLatch(1);
      Context.current().addListener(c -> cancelled.countDown(), Runnable::run);
      cancelled.await(60, TimeUnit.SECONDS);
    };
  }

  public static ProcessResponse progress(long done, long total) {
    return ProcessResponse.newBuilder()
        .setProgress(
            Progress.newBuilder()
                .setDone(done)
                .setTotal(total)
                .setUnit("page")
                .setMessage("page " + done + " of " + total))
        .build();
  }

  @Override
  public void listProcessors(
      ListProcessorsRequest request, StreamObserver<ListProcessorsResponse> response) {
    ListProcessorsResponse.Builder answer = ListProcessorsResponse.newBuilder();
    names.forEach(
        n -> answer.addProcessors(ProcessorInfo.newBuilder().setName(n).setBuiltIn(true)));
    response.onNext(answer.build());
    response.onCompleted();
  }

  @Override
  public void process(ProcessRequest request, StreamObserver<ProcessResponse> response) {
    requests.add(request);
    ServerCallStreamObserver<ProcessResponse> out =
        (ServerCallStreamObserver<ProcessResponse>) response;
    out.setOnCancelHandler(cancelledCalls::incrementAndGet);
    try {
      behaviour.process(request, out);
    } catch (Exception e) {
      if (!out.isCancelled()) {
        out.onError(io.grpc.Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
      }
    }
  }

  /** Records the traceparent header of each call. */
  public ServerInterceptor traceCapture() {
    Metadata.Key<String> key = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (call.getMethodDescriptor().getBareMethodName().equals("Process")) {
          String value = headers.get(key);
          traceparents.add(value == null ? "" : value);
        }
        return next.startCall(call, headers);
      }
    };
  }
}
