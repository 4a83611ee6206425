package dev.docmesh.meshkit.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.Locale;

/**
 * The one logging set-up of every docmesh process (found by logback through the service loader): to
 * stderr, as text ({@code DOCMESH_LOG_FORMAT=text}, key=value pairs appended) or one JSON object a
 * line ({@code json}) for log collectors; level from {@code DOCMESH_LOG_LEVEL}.
 */
public final class LoggingConfigurator extends ContextAwareBase implements Configurator {
  @Override
  public ExecutionStatus configure(LoggerContext context) {
    String format =
        System.getenv().getOrDefault("DOCMESH_LOG_FORMAT", "text").toLowerCase(Locale.ROOT);
    // A program embedding the services (the CLI) may lower the default; the variable still wins.
    String fallback = System.getProperty("docmesh.log.level", "INFO");
    Level level =
        Level.toLevel(System.getenv().getOrDefault("DOCMESH_LOG_LEVEL", fallback), Level.INFO);

    Encoder<ILoggingEvent> encoder;
    if (format.equals("json")) {
      JsonEncoder json = new JsonEncoder();
      json.setContext(context);
      json.start();
      encoder = json;
    } else {
      PatternLayoutEncoder text = new PatternLayoutEncoder();
      text.setContext(context);
      text.setPattern("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{24} - %msg %kvp%n");
      text.start();
      encoder = text;
    }
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(context);
    console.setName("console");
    console.setTarget("System.err");
    console.setEncoder(encoder);
    console.start();

    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(level);
    root.addAppender(console);
    // Netty and PDFBox are chatty at DEBUG and sometimes at INFO about things users cannot act on.
    context.getLogger("io.grpc.netty").setLevel(Level.WARN);
    context.getLogger("org.apache.pdfbox").setLevel(Level.ERROR);
    context.getLogger("org.apache.fontbox").setLevel(Level.ERROR);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
