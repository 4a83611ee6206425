package dev.docmesh.processor.spi;

import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import java.util.Set;

/**
 * One document processor, built in or a plugin. Implementations are stateless and thread-safe: one
 * instance serves every call, several at a time.
 *
 * <p>Plugins register through {@code java.util.ServiceLoader}: a public class with a public
 * no-argument constructor, named in {@code
 * META-INF/services/dev.docmesh.processor.spi.DocumentProcessor} of a jar on the processor's
 * classpath.
 *
 * <p>Failures: throw a {@link ProcessingFailure} for a typed failure (the service reports its kind
 * as a gRPC status and its reason as the ErrorInfo reason); an {@code IOException} from PDFBox is
 * reported as {@code PDF_CORRUPT}; any other exception as {@code PROCESSOR_FAILED}.
 */
public interface DocumentProcessor {

  /**
   * Name, version, description, accepted media types, output ("validation", "metadata", "text",
   * "elements", "relationships" or "custom") and inputs. {@code built_in} is set by the service,
   * whatever this returns.
   */
  ProcessorInfo info();

  /** Option keys this processor understands; a request with any other key is rejected. */
  default Set<String> options() {
    return Set.of();
  }

  /**
   * Processes one document. Runs on a processing thread, never a network thread; call {@link
   * ProcessingContext#checkpoint()} between units of work (pages) so a cancelled or timed-out call
   * stops promptly.
   */
  StageOutput process(ProcessingContext context) throws Exception;
}
