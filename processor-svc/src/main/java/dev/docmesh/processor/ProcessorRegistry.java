package dev.docmesh.processor;

import dev.docmesh.processor.spi.DocumentProcessor;
import dev.docmesh.proto.processor.v1.ProcessorInfo;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The processors this instance offers: the built-ins, then plugins found by ServiceLoader. */
public final class ProcessorRegistry {
  private static final Logger log = LoggerFactory.getLogger(ProcessorRegistry.class);

  private record Entry(DocumentProcessor processor, ProcessorInfo info) {}

  private final Map<String, Entry> byName = new TreeMap<>();

  public ProcessorRegistry(Collection<DocumentProcessor> builtIns, ClassLoader pluginLoader) {
    builtIns.forEach(p -> add(p, true));
    ServiceLoader<DocumentProcessor> plugins =
        ServiceLoader.load(DocumentProcessor.class, pluginLoader);
    var it = plugins.iterator();
    while (true) {
      DocumentProcessor plugin;
      try {
        if (!it.hasNext()) {
          break;
        }
        plugin = it.next();
      } catch (ServiceConfigurationError e) {
        // One broken plugin jar must not keep the built-ins from serving.
        log.error("skipping a plugin that cannot be loaded", e);
        continue;
      }
      add(plugin, false);
    }
  }

  private void add(DocumentProcessor processor, boolean builtIn) {
    ProcessorInfo info = processor.info().toBuilder().setBuiltIn(builtIn).build();
    if (info.getName().isBlank()) {
      log.error("skipping processor {} without a name", processor.getClass().getName());
      return;
    }
    if (byName.containsKey(info.getName())) {
      log.error(
          "skipping {}: a processor named {} is already registered",
          processor.getClass().getName(),
          info.getName());
      return;
    }
    byName.put(info.getName(), new Entry(processor, info));
    log.info(
        "processor {} {} ({})", info.getName(), info.getVersion(), builtIn ? "built-in" : "plugin");
  }

  public Optional<DocumentProcessor> find(String name) {
    return Optional.ofNullable(byName.get(name)).map(Entry::processor);
  }

  public Optional<ProcessorInfo> info(String name) {
    return Optional.ofNullable(byName.get(name)).map(Entry::info);
  }

  /** All processors sorted by name. */
  public List<ProcessorInfo> list() {
    return byName.values().stream().map(Entry::info).toList();
  }
}
