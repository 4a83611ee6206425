package dev.docmesh.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code docmesh} command: one entry point for users and for the CLI's own tests. */
@Command(
    name = "docmesh",
    mixinStandardHelpOptions = true,
    version = "docmesh 0.1.0",
    description = "Turn documents into structured data with the docmesh gRPC mesh.",
    subcommands = {
      UpCommand.class,
      DemoCommand.class,
      SubmitCommand.class,
      WatchCommand.class,
      GetCommand.class,
      ResultCommand.class,
      ListCommand.class,
      CancelCommand.class,
      PipelinesCommand.class,
      ProcessorsCommand.class,
      WorkersCommand.class,
      StatusCommand.class,
      AlertsCommand.class,
      GenerateCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Docmesh implements Runnable {
  /** Exit codes scripts can rely on. */
  public static final int OK = 0;

  public static final int JOB_FAILED = 1;
  public static final int USAGE = 2;
  public static final int UNREACHABLE = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // The services of `up` and `demo` log to the same terminal as the progress bars: warnings only,
    // unless DOCMESH_LOG_LEVEL says otherwise. Set before the first logger exists.
    System.setProperty(
        "docmesh.log.level", java.util.Arrays.asList(args).contains("--verbose") ? "INFO" : "WARN");
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs one command line; the CLI's tests call this with their own writers. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new Docmesh());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExitCodeExceptionMapper(Docmesh::exitCode);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          boolean verbose =
              parseResult.hasMatchedOption("--verbose")
                  || parseResult.subcommands().stream()
                      .anyMatch(p -> p.hasMatchedOption("--verbose"));
          commandLine.getErr().println("docmesh: " + describe(e));
          if (verbose) {
            e.printStackTrace(commandLine.getErr());
          }
          return exitCode(e);
        });
    return cl.execute(args);
  }

  static int exitCode(Throwable e) {
    if (e instanceof StatusRuntimeException s) {
      Status.Code code = s.getStatus().getCode();
      return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED
          ? UNREACHABLE
          : JOB_FAILED;
    }
    if (e instanceof CommandLine.ParameterException
        || e instanceof IllegalArgumentException
        || e instanceof dev.docmesh.meshkit.config.ConfigException) {
      return USAGE;
    }
    return JOB_FAILED;
  }

  /** One clear line: status code and detail, never a stack trace. */
  static String describe(Throwable e) {
    if (e instanceof StatusRuntimeException s) {
      Status status = s.getStatus();
      String detail = status.getDescription() == null ? "" : ": " + status.getDescription();
      String reason = dev.docmesh.meshkit.grpc.Errors.reason(s).map(r -> " [" + r + "]").orElse("");
      if (status.getCode() == Status.Code.UNAVAILABLE) {
        return "UNAVAILABLE: cannot reach the service (is the mesh running? try `docmesh up`)"
            + detail;
      }
      return status.getCode() + detail + reason;
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
