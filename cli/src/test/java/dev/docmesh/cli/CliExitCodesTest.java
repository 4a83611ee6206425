package dev.docmesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/**
 * Exit codes and error lines that scripts rely on, without a running mesh. The codes are the
 * literals the README documents (0 ok, 1 failed, 2 usage, 3 unreachable), not the constants: a
 * renumbered constant must fail here.
 */
class CliExitCodesTest {
  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Docmesh.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void unreachableTargetExitsThreeWithOneLine() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Run r = run("get", "job-01HZZZZZZZZZZZZZZZZZZZZZZZ", "--target", "127.0.0.1:" + closedPort);
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err().strip())
        .startsWith("docmesh: UNAVAILABLE")
        .doesNotContain("\n")
        .doesNotContain("at io.grpc");
  }

  @Test
  void helpAndVersionExitZero() {
    assertThat(run("--help").code()).isEqualTo(0);
    assertThat(run("--version").code()).isEqualTo(0);
  }

  @Test
  void usageErrorsExitTwo() {
    assertThat(run("submit").code()).isEqualTo(2);
    assertThat(run("no-such-command").code()).isEqualTo(2);
    Run r = run("list", "--state", "sleeping", "--target", "127.0.0.1:1");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("unknown state 'sleeping'");
  }

  @Test
  void missingFileIsAUsageError() {
    Run r = run("submit", "/no/such/file.pdf", "--target", "127.0.0.1:1");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("not a file: /no/such/file.pdf");
  }

  @Test
  void verboseAddsTheStackTrace() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Run r = run("get", "job-x", "--verbose", "--target", "127.0.0.1:" + closedPort);
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("at io.grpc");
  }
}
