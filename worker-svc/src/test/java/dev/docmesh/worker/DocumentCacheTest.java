package dev.docmesh.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

class DocumentCacheTest {
  private static ByteString bytes(int n) {
    return ByteString.copyFrom(new byte[n]);
  }

  @Test
  void keepsDocumentsWithinTheByteBoundDroppingTheLeastRecentlyUsed() {
    DocumentCache cache = new DocumentCache(100);
    cache.put("a", bytes(40));
    cache.put("b", bytes(40));
    assertThat(cache.get("a")).isPresent(); // a is now more recent than b
    cache.put("c", bytes(40));
    assertThat(cache.get("b")).isEmpty();
    assertThat(cache.get("a")).isPresent();
    assertThat(cache.get("c")).isPresent();
    assertThat(cache.bytes()).isEqualTo(80);
  }

  @Test
  void aDocumentLargerThanTheBoundOrASizeOfZeroIsNotKept() {
    DocumentCache cache = new DocumentCache(100);
    cache.put("big", bytes(101));
    assertThat(cache.get("big")).isEmpty();
    DocumentCache off = new DocumentCache(0);
    off.put("a", bytes(1));
    assertThat(off.size()).isZero();
  }
}
