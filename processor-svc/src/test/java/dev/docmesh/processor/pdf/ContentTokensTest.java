package dev.docmesh.processor.pdf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.docgen.Corpus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.contentstream.operator.Operator;
import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSBoolean;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSFloat;
import org.apache.pdfbox.cos.COSInteger;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSNull;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.cos.COSString;
import org.apache.pdfbox.pdfparser.PDFStreamParser;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ContentTokens reads content token for token as PDFBox's PDFStreamParser does: the same tokens,
 * values, end, and failure, on every page and form of the corpus, on hand-made edge cases of each
 * token, and on content damaged at random; and it reads most tokens itself.
 */
class ContentTokensTest {
  private static final List<byte[]> CORPUS_CONTENT = new ArrayList<>();

  @BeforeAll
  static void readCorpusContent() throws IOException {
    for (String file : Corpus.files()) {
      String password = file.equals(Corpus.ENCRYPTED) ? Corpus.ENCRYPTED_PASSWORD : "";
      try (PDDocument doc = Loader.loadPDF(Corpus.read(file), password)) {
        Set<COSBase> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (PDPage page : doc.getPages()) {
          try (var in = page.getContents()) {
            CORPUS_CONTENT.add(in.readAllBytes());
          }
          forms(page.getCOSObject().getCOSDictionary(COSName.RESOURCES), seen);
        }
      }
    }
  }

  /** Every form XObject reachable from {@code resources}, once. */
  private static void forms(COSDictionary resources, Set<COSBase> seen) throws IOException {
    if (resources == null || !seen.add(resources)) {
      return;
    }
    COSDictionary xObjects = resources.getCOSDictionary(COSName.XOBJECT);
    if (xObjects == null) {
      return;
    }
    for (COSName key : xObjects.keySet()) {
      if (xObjects.getDictionaryObject(key) instanceof COSStream form
          && COSName.FORM.equals(form.getCOSName(COSName.SUBTYPE))
          && seen.add(form)) {
        try (var in = form.createInputStream()) {
          CORPUS_CONTENT.add(in.readAllBytes());
        }
        forms(form.getCOSDictionary(COSName.RESOURCES), seen);
      }
    }
  }

  @Test
  void everyPageAndFormOfTheCorpusReadsAsPdfBoxReadsIt() throws IOException {
    long tokens = 0;
    long leftToPdfBox = 0;
    for (byte[] content : CORPUS_CONTENT) {
      Reading ours = ours(content);
      assertThat(ours.tokens).isEqualTo(pdfBox(content).tokens);
      tokens += ours.tokens.size();
      leftToPdfBox += ours.leftToPdfBox;
    }
    assertThat(CORPUS_CONTENT.size()).isGreaterThan(400);
    assertThat(tokens).isGreaterThan(500_000);
    // the point of it: PDFBox reads only what content rarely holds (dictionaries, inline images)
    assertThat(leftToPdfBox).isLessThan(tokens / 100);
  }

  @Test
  void edgeCasesOfEachTokenReadAsPdfBoxReadsThem() throws IOException {
    List<String> cases =
        List.of(
            // numbers: signs, points, exponents, lengths, and PDFBox's repairs
            "0 1 -1 +1 .5 -.5 5. -5. 0.0 -0.0 -0 007 1.2.3 5-3 --5 - . -. + +. 5e3 5E-3",
            "3.4028236e38 1.17549435E-38 0.00000000001 16777216.5 16777217.1 1677721.75",
            "0.1 0.2 0.3 1.1 123.456 -98.7654 9999999.9 0.0000000001 0.00000000001",
            "9223372036854775807 9223372036854775808 -9223372036854775809 123456789012345678",
            "1234567890123456789012 0.12345678901234567890 12345678.5 2.00000000000",
            "[1 2.5 -3 .5 5. 1e2 1E2 1+2 1-2 1..2 -.5- +5 --5 5]",
            // names: escapes, odd bytes, ends
            "/F1 /A#20B /A#2 /A#G1 /# /#4 / /A/B /Ä /\u00ff /A%c\n/B /A(x) /A<>",
            // operators: words, d0/d1, signs, brackets, nulls and booleans
            "BT ET Tj TJ ' \" d0 d1 d2 f* B* BDC BMC null true false nulls truer f1 n T* Td1",
            "> ) } { }{ ]x ~ \u00e9t a.b a-b",
            // literal strings: escapes, octals, parentheses, unbalanced ends
            "(a) () (a(b)c) (\\n\\r\\t\\b\\f\\(\\)\\\\) (\\101\\1\\12\\1234\\777\\8) (a\\\nb)",
            "(a\\\r\n\r\nb) (x\\y) (a)b (a(b) (open\n/Next) (a\\)\n/N) (a\\)) (\\)\r\n/x)",
            "(a(b)\n> (c(d)\r\n> x (e\\)\r>) (f(g)\r\n/",
            "(a\\",
            "(a",
            "(a\\12",
            "(a\\1",
            // hex strings: spaces, odd digits, junk, ends
            "<41 42> <414> <> < 4 1 > <4G> <41\u0000> <41\b\f> <41",
            "[<41> (a) /N 1 <42>] [] [[1] 2] [<< /A 1 >>] [1 0 R] [null] [true] [(a]",
            "[(a) -120 (b) 5.5 (c)] TJ [1 2",
            // dictionaries and inline images, which PDFBox reads
            "/Span << /MCID 3 /ActualText (x) >> BDC EMC << /A [1 2] >>",
            "BI /W 2 /H 1 /BPC 8 /CS /G ID \u0001\u0002 EI Q BI /W 1 ID x",
            "IQ ID",
            // comments, white space, and junk bytes
            "% a comment\n1 % another\r2\u0000\t\f3 %at the end",
            "\u0001Tj \u0007 q\u0002 1\u0003 Q",
            "]]] 1 ] 2",
            "");
    for (String content : cases) {
      byte[] bytes = content.getBytes(StandardCharsets.ISO_8859_1);
      assertThat(ours(bytes).tokens).as(content).isEqualTo(pdfBox(bytes).tokens);
    }
  }

  /**
   * Corpus content damaged at random (bytes replaced by the characters of the syntax, snippets
   * inserted, the content cut short) reads as PDFBox reads it.
   */
  @Test
  void damagedContentReadsAsPdfBoxReadsIt() throws IOException {
    byte[] syntax =
        "()<>[]{}/%#\\-+.eE0123456789 \n\r\t\u0000BIDEfntru".getBytes(StandardCharsets.ISO_8859_1);
    String[] snippets = {
      "(",
      ")",
      "<",
      "<<",
      ">>",
      "[",
      "]",
      "\\",
      "BI /W 1 ID ",
      " EI ",
      "-",
      "--",
      ".",
      "+",
      "#",
      "%",
      "\r\n/",
      "1e5",
      "d0",
      "true",
      "null"
    };
    Random random = new Random(20261130);
    int damaged = 0;
    for (int i = 0; i < CORPUS_CONTENT.size(); i += 2) {
      byte[] original = CORPUS_CONTENT.get(i);
      if (original.length == 0) {
        continue;
      }
      for (int m = 0; m < 6; m++) {
        byte[] content = original.clone();
        int edits = 1 + random.nextInt(8);
        for (int e = 0; e < edits && content.length > 0; e++) {
          int at = random.nextInt(content.length);
          switch (random.nextInt(3)) {
            case 0 -> content[at] = syntax[random.nextInt(syntax.length)];
            case 1 -> {
              byte[] snippet =
                  snippets[random.nextInt(snippets.length)].getBytes(StandardCharsets.ISO_8859_1);
              byte[] longer = new byte[content.length + snippet.length];
              System.arraycopy(content, 0, longer, 0, at);
              System.arraycopy(snippet, 0, longer, at, snippet.length);
              System.arraycopy(content, at, longer, at + snippet.length, content.length - at);
              content = longer;
            }
            default -> content = java.util.Arrays.copyOf(content, at);
          }
        }
        assertThat(ours(content).tokens)
            .as("damaged content %d.%d", i, m)
            .isEqualTo(pdfBox(content).tokens);
        damaged++;
      }
    }
    assertThat(damaged).isGreaterThan(1200);
  }

  /** The tokens read, each described with its value, then how the reading ended. */
  private record Reading(List<String> tokens, int leftToPdfBox) {}

  private static Reading ours(byte[] content) {
    ContentTokens tokens = new ContentTokens(content);
    List<String> read = new ArrayList<>();
    try {
      for (Object token = tokens.next(); token != null; token = tokens.next()) {
        read.add(describe(token));
        if (token instanceof Operator op
            && !op.getName().equals("BI")
            && !op.getName().equals("ID")
            && op != Operator.getOperator(op.getName())) {
          read.add("an operator PDFBox does not share: " + op.getName());
        }
      }
      read.add("end");
    } catch (IOException | RuntimeException e) {
      read.add("failed: " + e);
    }
    return new Reading(read, tokens.leftToPdfBox());
  }

  private static Reading pdfBox(byte[] content) {
    PDFStreamParser parser = new PDFStreamParser(content);
    List<String> read = new ArrayList<>();
    try {
      for (Object token = parser.parseNextToken(); token != null; token = parser.parseNextToken()) {
        read.add(describe(token));
      }
      read.add("end");
    } catch (IOException | RuntimeException e) {
      read.add("failed: " + e);
    }
    return new Reading(read, 0);
  }

  /** A token's kind and value, exact: a float by its bits, a string and a name by their bytes. */
  private static String describe(Object token) {
    HexFormat hex = HexFormat.of();
    if (token instanceof Operator operator) {
      return "op "
          + operator.getName()
          + (operator.getImageData() == null
              ? ""
              : " data " + hex.formatHex(operator.getImageData()))
          + (operator.getImageParameters() == null
              ? ""
              : " params " + describe(operator.getImageParameters()));
    } else if (token instanceof COSInteger integer) {
      return "int " + integer.longValue() + (integer.isValid() ? "" : " invalid");
    } else if (token instanceof COSFloat number) {
      return "float " + Integer.toHexString(Float.floatToIntBits(number.floatValue()));
    } else if (token instanceof COSName name) {
      return "name " + hex.formatHex(name.getBytes());
    } else if (token instanceof COSString string) {
      return "string " + hex.formatHex(string.getBytes());
    } else if (token instanceof COSArray array) {
      StringBuilder out = new StringBuilder("[");
      for (COSBase element : array) {
        out.append(describe(element)).append(", ");
      }
      return out.append("]").toString();
    } else if (token instanceof COSDictionary dictionary) {
      StringBuilder out = new StringBuilder("<<");
      for (Map.Entry<COSName, COSBase> entry : dictionary.entrySet()) {
        out.append(describe(entry.getKey())).append(": ");
        out.append(describe(entry.getValue())).append(", ");
      }
      return out.append(">>").toString();
    } else if (token == COSNull.NULL) {
      return "null";
    } else if (token instanceof COSBoolean bool) {
      return "bool " + bool.getValue();
    }
    return "other " + (token == null ? "null" : token.getClass().getName() + " " + token);
  }
}
