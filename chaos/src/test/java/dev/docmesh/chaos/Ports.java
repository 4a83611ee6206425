package dev.docmesh.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports (never the services' defaults: other meshes may run on this machine), chosen
 * below the kernel's ephemeral range. A service keeps its port across a kill -9 and restart; were
 * the port ephemeral, any client socket opened meanwhile (the worker reconnecting to the very
 * service that died can even connect to itself) could take it, and the restart would fail to bind.
 */
final class Ports {
  private static final int LOWEST = 10_000;

  /** Handed out already: checked free is not held, so two services could be given one port. */
  private static final java.util.Set<Integer> GIVEN =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private Ports() {}

  static int free() {
    int below = ephemeralLow();
    if (below - LOWEST >= 1_000) {
      for (int i = 0; i < 200; i++) {
        int port = ThreadLocalRandom.current().nextInt(LOWEST, below);
        if (bindable(port) && GIVEN.add(port)) {
          return port;
        }
      }
    }
    return kernelChosen();
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int kernelChosen() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The low end of {@code net.ipv4.ip_local_port_range}; Linux's default where unreadable. */
  private static int ephemeralLow() {
    try {
      // readLine: Files.readString trusts the size /proc reports and may return a fragment
      try (java.io.BufferedReader r =
          Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
        return Integer.parseInt(r.readLine().trim().split("\\s+")[0]);
      }
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }
}
