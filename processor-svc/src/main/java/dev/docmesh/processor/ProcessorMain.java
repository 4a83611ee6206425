package dev.docmesh.processor;

import dev.docmesh.meshkit.config.Env;
import dev.docmesh.meshkit.server.MeshServer;
import dev.docmesh.meshkit.server.ServiceLauncher;
import dev.docmesh.meshkit.server.ServiceLauncher.ServiceSpec;
import dev.docmesh.processor.pdf.MetadataProcessor;
import dev.docmesh.processor.pdf.PdfOpener;
import dev.docmesh.processor.pdf.RelationshipsProcessor;
import dev.docmesh.processor.pdf.StructureProcessor;
import dev.docmesh.processor.pdf.TextProcessor;
import dev.docmesh.processor.pdf.ValidateProcessor;
import dev.docmesh.processor.spi.DocumentProcessor;
import dev.docmesh.processor.text.MarkdownProcessor;
import dev.docmesh.processor.text.PlainTextProcessor;
import java.util.List;

/** processor-svc: stateless document processors. */
public final class ProcessorMain {
  public static final ServiceSpec SPEC = new ServiceSpec("processor", 50052, 9092);

  private ProcessorMain() {}

  public static void main(String[] args) {
    ServiceLauncher.main(SPEC, ProcessorMain::wire);
  }

  public static MeshServer start(Env env) {
    return ServiceLauncher.start(SPEC, env, ProcessorMain::wire);
  }

  /** The processors every instance offers, before plugins. */
  public static List<DocumentProcessor> builtIns() {
    return List.of(
        new ValidateProcessor(),
        new MetadataProcessor(),
        new TextProcessor(),
        new StructureProcessor(),
        new RelationshipsProcessor(),
        new PlainTextProcessor(),
        new MarkdownProcessor());
  }

  static void wire(MeshServer.Builder server, Env env) {
    ProcessorConfig config = ProcessorConfig.fromEnv(env);
    ProcessorRegistry registry =
        new ProcessorRegistry(builtIns(), ProcessorMain.class.getClassLoader());
    ProcessingPool pool = new ProcessingPool(config.threads(), config.queue());
    ProcessorMetrics metrics = new ProcessorMetrics(server.telemetry().registry());
    // Process only checks the request and hands the PDF work to the pool; the other RPCs answer at
    // once: no handler blocks, so none needs an executor thread of its own.
    server.handlersOnNetworkThreads();
    server.addService(
        new ProcessorServiceImpl(
            registry,
            config,
            pool,
            new PdfOpener(config),
            metrics,
            server.telemetry().openTelemetry().getTracer("dev.docmesh.processor")));
    server.afterStop(pool::close);
  }
}
