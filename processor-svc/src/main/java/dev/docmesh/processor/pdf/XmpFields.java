package dev.docmesh.processor.pdf;

import java.io.ByteArrayInputStream;
import java.util.HashMap;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The few XMP properties DocumentMetadata falls back to, read with a hardened XML parser (no DTDs,
 * no external entities: XMP comes from untrusted documents). Both XMP spellings are understood: a
 * property element, or an attribute of rdf:Description.
 */
final class XmpFields {
  static final String DC = "http://purl.org/dc/elements/1.1/";
  static final String PDF = "http://ns.adobe.com/pdf/1.3/";
  static final String XMP = "http://ns.adobe.com/xap/1.0/";
  private static final String RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
  private static final int MAX_BYTES = 1 << 20;

  private final Map<String, String> values = new HashMap<>();

  private XmpFields() {}

  static XmpFields parse(byte[] xmp) {
    XmpFields fields = new XmpFields();
    if (xmp == null || xmp.length == 0 || xmp.length > MAX_BYTES) {
      return fields;
    }
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setNamespaceAware(true);
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setExpandEntityReferences(false);
      factory.setXIncludeAware(false);
      DocumentBuilder builder = factory.newDocumentBuilder();
      builder.setErrorHandler(null);
      Document doc = builder.parse(new ByteArrayInputStream(xmp));
      fields.read(doc, DC, "title");
      fields.read(doc, DC, "creator");
      fields.read(doc, DC, "description");
      fields.read(doc, PDF, "Keywords");
      fields.read(doc, PDF, "Producer");
      fields.read(doc, XMP, "CreatorTool");
    } catch (Exception e) {
      // Unreadable XMP is common in the wild; the Info dictionary still answers.
    }
    return fields;
  }

  String get(String namespace, String name) {
    return values.getOrDefault(namespace + name, "");
  }

  private void read(Document doc, String namespace, String name) {
    NodeList elements = doc.getElementsByTagNameNS(namespace, name);
    if (elements.getLength() > 0) {
      Element property = (Element) elements.item(0);
      NodeList items = property.getElementsByTagNameNS(RDF, "li");
      String text =
          items.getLength() > 0 ? items.item(0).getTextContent() : property.getTextContent();
      if (text != null && !text.isBlank()) {
        values.put(namespace + name, text.trim());
        return;
      }
    }
    NodeList descriptions = doc.getElementsByTagNameNS(RDF, "Description");
    for (int i = 0; i < descriptions.getLength(); i++) {
      String attribute = ((Element) descriptions.item(i)).getAttributeNS(namespace, name);
      if (!attribute.isBlank()) {
        values.put(namespace + name, attribute.trim());
        return;
      }
    }
  }
}
