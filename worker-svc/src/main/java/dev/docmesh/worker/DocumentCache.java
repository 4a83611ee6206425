package dev.docmesh.worker;

import com.google.protobuf.ByteString;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Documents fetched lately, by id, bounded by bytes (least recently used leave first). A document
 * id is the SHA-256 of its content, so an entry never goes stale: the stages of one job (and jobs
 * of the same document) fetch it from the orchestrator once. A document larger than the whole bound
 * is not kept. Size 0 turns the cache off.
 */
final class DocumentCache {
  private final long maxBytes;
  private final LinkedHashMap<String, ByteString> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long bytes;

  DocumentCache(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  synchronized Optional<ByteString> get(String documentId) {
    return Optional.ofNullable(entries.get(documentId));
  }

  synchronized void put(String documentId, ByteString content) {
    if (content.size() > maxBytes || entries.containsKey(documentId)) {
      return;
    }
    entries.put(documentId, content);
    bytes += content.size();
    Iterator<Map.Entry<String, ByteString>> oldest = entries.entrySet().iterator();
    while (bytes > maxBytes && oldest.hasNext()) {
      bytes -= oldest.next().getValue().size();
      oldest.remove();
    }
  }

  synchronized long bytes() {
    return bytes;
  }

  synchronized int size() {
    return entries.size();
  }
}
