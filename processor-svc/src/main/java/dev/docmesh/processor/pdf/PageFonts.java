package dev.docmesh.processor.pdf;

import dev.docmesh.proto.document.v1.FontInfo;
import java.io.IOException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.font.PDFont;
import org.apache.pdfbox.pdmodel.graphics.PDXObject;
import org.apache.pdfbox.pdmodel.graphics.form.PDFormXObject;

/**
 * The fonts a page's resources offer, its form XObjects' included (each resource dictionary once).
 */
final class PageFonts {
  private static final Pattern SUBSET = Pattern.compile("^[A-Z]{6}\\+.*");
  private static final int MAX_DEPTH = 16;

  private PageFonts() {}

  static void collect(PDPage page, Map<String, FontInfo> byName) throws IOException {
    Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    collect(page.getResources(), byName, seen, 0);
  }

  private static void collect(
      PDResources resources, Map<String, FontInfo> byName, Set<Object> seen, int depth)
      throws IOException {
    if (resources == null || depth > MAX_DEPTH || !seen.add(resources.getCOSObject())) {
      return;
    }
    for (COSName key : resources.getFontNames()) {
      PDFont font;
      try {
        font = resources.getFont(key);
      } catch (IOException e) {
        continue; // a broken font dictionary: the other fonts still count
      }
      if (font == null) {
        continue;
      }
      String name = font.getName() == null ? key.getName() : font.getName();
      byName.computeIfAbsent(
          name,
          n ->
              FontInfo.newBuilder()
                  .setName(n)
                  .setType(String.valueOf(font.getSubType()))
                  .setEmbedded(font.isEmbedded())
                  .setSubset(SUBSET.matcher(n).matches())
                  .build());
    }
    for (COSName key : resources.getXObjectNames()) {
      if (resources.isImageXObject(key)) {
        continue;
      }
      PDXObject xobject;
      try {
        xobject = resources.getXObject(key);
      } catch (IOException e) {
        continue;
      }
      if (xobject instanceof PDFormXObject form) {
        collect(form.getResources(), byName, seen, depth + 1);
      }
    }
  }
}
