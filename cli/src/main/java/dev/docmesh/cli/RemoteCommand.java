package dev.docmesh.cli;

import com.google.protobuf.MessageOrBuilder;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that talks to a running mesh: global options, clients opened and closed around it. */
abstract class RemoteCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;
  @Spec CommandSpec spec;

  @Override
  public final Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    try (Clients clients = new Clients(global)) {
      return run(clients, out);
    } finally {
      out.flush();
    }
  }

  /** Does the work; returns the exit code. */
  protected abstract int run(Clients clients, PrintWriter out) throws Exception;

  /** JSON for scripts with --json, otherwise the text rendering for people. */
  protected final void print(
      PrintWriter out, MessageOrBuilder message, Consumer<PrintWriter> text) {
    if (global.json) {
      out.println(Output.json(message));
    } else {
      text.accept(out);
    }
  }
}
