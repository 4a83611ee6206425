package dev.docmesh.processor.plugin;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.docmesh.processor.spi.DocumentProcessor;
import dev.docmesh.processor.spi.ProcessingContext;
import dev.docmesh.processor.spi.ProcessingFailure;
import dev.docmesh.proto.document.v1.StageOutput;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/** The example plugin: counts words and lines of text input, found through ServiceLoader. */
public final class WordCountProcessor implements DocumentProcessor {
  @Override
  public ProcessorInfo info() {
    return ProcessorInfo.newBuilder()
        .setName("example.wordcount")
        .setVersion("0.1.0")
        .setDescription("Counts the words and lines of a text document.")
        .addMediaTypes("text/plain")
        .addMediaTypes("text/markdown")
        .setOutput("custom")
        .build();
  }

  @Override
  public Set<String> options() {
    return Set.of("min_length");
  }

  @Override
  public StageOutput process(ProcessingContext context) {
    String text = new String(context.content(), StandardCharsets.UTF_8);
    int minLength = minLength(context.option("min_length", "1"));
    long words =
        java.util.Arrays.stream(text.split("\\s+")).filter(w -> w.length() >= minLength).count();
    long lines = text.lines().count();
    context.progress(1, 1, "document", "counted");
    return StageOutput.newBuilder()
        .setCustom(
            Struct.newBuilder()
                .putFields("words", Value.newBuilder().setNumberValue(words).build())
                .putFields("lines", Value.newBuilder().setNumberValue(lines).build()))
        .build();
  }

  /** A bad option is the caller's mistake: a typed failure, not a crash of the plugin. */
  private static int minLength(String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw ProcessingFailure.invalidArgument(
          "options.min_length", "must be a whole number, not '" + value + "'");
    }
  }
}
