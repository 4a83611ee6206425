package dev.docmesh.processor.pdf;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.pdfbox.io.RandomAccessRead;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.graphics.form.PDFormXObject;
import org.apache.pdfbox.pdmodel.graphics.form.PDTransparencyGroup;

/**
 * A form XObject drawn from bytes {@link StreamGuard} already decoded, as {@link DecodedPage} is a
 * page. Everything else is the form's own, its resources too (they hold the document's font cache).
 */
final class DecodedForm {
  private DecodedForm() {}

  /** {@code form} drawn from {@code content}; {@code form} itself when there is none. */
  static PDFormXObject of(PDFormXObject form, byte[] content, ContentDrawer drawer) {
    return content == null ? form : new Form(form, content, drawer);
  }

  /** {@code group} drawn from {@code content}; {@code group} itself when there is none. */
  static PDTransparencyGroup of(PDTransparencyGroup group, byte[] content, ContentDrawer drawer) {
    return content == null ? group : new Group(group, content, drawer);
  }

  private static final class Form extends PDFormXObject {
    private final PDFormXObject form;
    private final byte[] content;
    private final ContentDrawer drawer;

    Form(PDFormXObject form, byte[] content, ContentDrawer drawer) {
      super(form.getCOSObject());
      this.form = form;
      this.content = content;
      this.drawer = drawer;
    }

    @Override
    public RandomAccessRead getContentsForStreamParsing() throws IOException {
      return ContentDrawer.drawn(drawer, content);
    }

    @Override
    public PDResources getResources() {
      return form.getResources();
    }

    @Override
    public RandomAccessRead getContentsForRandomAccess() {
      return new ByteArrayRead(content);
    }

    @Override
    public InputStream getContents() {
      return new ByteArrayInputStream(content);
    }
  }

  private static final class Group extends PDTransparencyGroup {
    private final PDTransparencyGroup group;
    private final byte[] content;
    private final ContentDrawer drawer;

    Group(PDTransparencyGroup group, byte[] content, ContentDrawer drawer) {
      super(group.getCOSObject(), null);
      this.group = group;
      this.content = content;
      this.drawer = drawer;
    }

    @Override
    public RandomAccessRead getContentsForStreamParsing() throws IOException {
      return ContentDrawer.drawn(drawer, content);
    }

    @Override
    public PDResources getResources() {
      return group.getResources();
    }

    @Override
    public RandomAccessRead getContentsForRandomAccess() {
      return new ByteArrayRead(content);
    }

    @Override
    public InputStream getContents() {
      return new ByteArrayInputStream(content);
    }
  }
}
