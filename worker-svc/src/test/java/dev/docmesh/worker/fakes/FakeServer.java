package dev.docmesh.worker.fakes;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real gRPC server on loopback for one scripted service, which a test can take down and bring
 * back on the same port (an outage as the worker sees it: connection refused).
 */
public final class FakeServer implements AutoCloseable {
  private final BindableService service;
  private final ServerInterceptor[] interceptors;
  private int port;
  private Server server;
  private ExecutorService handlers;

  public FakeServer(BindableService service, ServerInterceptor... interceptors) {
    this.service = service;
    this.interceptors = interceptors;
    start();
  }

  public int port() {
    return port;
  }

  /** dns:/// target of this server, as the worker is configured in production. */
  public String target() {
    return "dns:///127.0.0.1:" + port;
  }

  public synchronized void start() {
    try {
      handlers = Executors.newCachedThreadPool();
      server =
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
              .withOption(ChannelOption.SO_REUSEADDR, true)
              .executor(handlers)
              .addService(ServerInterceptors.intercept(service, interceptors))
              .build()
              .start();
      port = server.getPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Abrupt: open connections are cut, in-flight calls fail. Returns once no handler of this
   * instance runs any more, so none can act (say, take a task) after the server is gone.
   */
  public synchronized void stop() {
    server.shutdownNow();
    handlers.shutdown();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
      handlers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }
}
