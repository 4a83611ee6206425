package dev.docmesh.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on loopback that can hurt the link it stands on: add latency to every chunk, reset
 * every open connection (RST, as a crashed middlebox does), or blackhole — keep every connection
 * open and accept new ones, but forward nothing until it is lifted (the peers see silence, not an
 * error, as behind a dropped route). Plain blocking sockets, two threads a connection: the mesh
 * opens only a handful.
 */
final class FaultProxy implements AutoCloseable {
  private final String name;
  private final ServerSocket server;
  private final int upstreamPort;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final Object gate = new Object();
  private final AtomicLong connections = new AtomicLong();
  private final AtomicLong resets = new AtomicLong();
  private volatile long latencyMs;
  private volatile boolean blackhole;
  private volatile boolean closed;

  FaultProxy(String name, int upstreamPort) {
    this.name = name;
    this.upstreamPort = upstreamPort;
    try {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Thread t = new Thread(this::acceptLoop, "proxy-" + name + "-accept");
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return server.getLocalPort();
  }

  String address() {
    return "127.0.0.1:" + port();
  }

  long connections() {
    return connections.get();
  }

  void latency(long ms) {
    latencyMs = ms;
  }

  void blackhole(boolean on) {
    synchronized (gate) {
      blackhole = on;
      gate.notifyAll();
    }
  }

  /** Resets every open connection; new ones are accepted as usual. */
  void resetAll() {
    for (Socket s : open) {
      abort(s);
      resets.incrementAndGet();
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      connections.incrementAndGet();
      Socket upstream = new Socket();
      try {
        upstream.connect(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 2000);
      } catch (IOException e) {
        abort(
            client); // the service is down: the client sees what a refused connection looks like, a
        // reset
        abort(upstream);
        continue;
      }
      open.add(client);
      open.add(upstream);
      pump(client, upstream, "up");
      pump(upstream, client, "down");
    }
  }

  private void pump(Socket from, Socket to, String dir) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[64 * 1024];
              try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                  holdWhileBlackholed();
                  long delay = latencyMs;
                  if (delay > 0) {
                    Thread.sleep(delay);
                  }
                  holdWhileBlackholed();
                  out.write(buf, 0, n);
                  out.flush();
                }
                // a FIN is passed on as a FIN; the connection is closed once both ways ended
                synchronized (this) {
                  to.shutdownOutput();
                  if (from.isOutputShutdown()) {
                    from.close();
                    to.close();
                    open.remove(from);
                    open.remove(to);
                  }
                }
              } catch (IOException | InterruptedException e) {
                abort(from);
                abort(to);
                open.remove(from);
                open.remove(to);
              }
            },
            "proxy-" + name + "-" + dir);
    t.setDaemon(true);
    t.start();
  }

  private void holdWhileBlackholed() throws InterruptedException {
    synchronized (gate) {
      while (blackhole && !closed) {
        gate.wait();
      }
    }
  }

  private static void abort(Socket s) {
    try {
      if (!s.isClosed()) {
        s.setSoLinger(true, 0); // close with RST, not FIN
      }
      s.close();
    } catch (IOException ignored) {
      // already gone
    }
  }

  @Override
  public void close() {
    closed = true;
    blackhole(false);
    try {
      server.close();
    } catch (IOException ignored) {
      // closing
    }
    open.forEach(FaultProxy::abort);
  }
}
