package dev.docmesh.processor.pdf;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.pdfbox.contentstream.PDContentStream;
import org.apache.pdfbox.contentstream.operator.Operator;
import org.apache.pdfbox.contentstream.operator.OperatorName;
import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSBoolean;
import org.apache.pdfbox.cos.COSFloat;
import org.apache.pdfbox.cos.COSInteger;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSNull;
import org.apache.pdfbox.cos.COSString;
import org.apache.pdfbox.io.RandomAccessRead;
import org.apache.pdfbox.pdfparser.PDFStreamParser;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.util.Matrix;

/**
 * The tokens of decoded content, exactly as PDFBox's {@link PDFStreamParser} returns them, read
 * straight from the bytes: numbers without a StringBuilder, a String and {@code Float.parseFloat}
 * each, names and strings without a stream of single-byte reads. Parsing content was 29 % of
 * processor-svc's CPU under pdf.text.
 *
 * <p>Only the forms content is made of are read here: numbers as written, names without {@code #}
 * escapes, operators, literal and hex strings, and arrays of those. Anything else, or anything cut
 * short by the end of the content, is read by a PDFBox parser over the same bytes from the token's
 * first byte: dictionaries, inline images, {@code --5}, {@code 5-3}, a stray {@code +}, a name with
 * an escape, and all the repairs PDFBox makes to broken content. The tokens are PDFBox's by
 * construction there; ContentTokensTest holds the rest to PDFBox's token for token, over the
 * corpus's content and damaged content.
 */
final class ContentTokens {
  /** Powers of ten exact as floats: 10^10 = 2^10 × 5^10, and 5^10 < 2^24. */
  private static final float[] EXACT_POWERS_OF_TEN = {
    1f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f
  };

  /** Every integer up to 2^24 is exact as a float. */
  private static final long EXACT_FLOAT_INTEGERS = 1L << 24;

  /** Returned by the readers here for a token they leave to PDFBox's parser. */
  private static final Object PDFBOX = new Object();

  private final byte[] bytes;
  private final int length;
  private final ByteArrayRead read;
  private PDFStreamParser pdfBox;
  private byte[] scratch = new byte[64];
  private int position;
  private boolean ended;
  private int leftToPdfBox;

  ContentTokens(byte[] content) {
    this.bytes = content;
    this.length = content.length;
    this.read = new ByteArrayRead(content);
  }

  /** The next token, as {@link PDFStreamParser#parseNextToken()}; null at the end. */
  Object next() throws IOException {
    if (ended) {
      return null;
    }
    skipSpaces();
    if (position >= length) {
      ended = true;
      return null;
    }
    int start = position;
    Object token =
        switch (bytes[position]) {
          case '/' -> name();
          case '(' -> literalString();
          case '<' -> position + 1 < length && bytes[position + 1] == '<' ? PDFBOX : hexString();
          case '[' -> array();
          case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-', '.' -> number();
          case ']' -> {
            position++;
            yield COSNull.NULL;
          }
          case 'n', 't', 'f', 'B' -> word();
          case '+', 'I' -> PDFBOX; // a stray sign; ID, the data of an inline image
          default -> operator();
        };
    if (token == PDFBOX) {
      position = start;
      return pdfBoxToken();
    }
    return token;
  }

  /** The token at {@link #position} read by PDFBox's parser, over the same bytes. */
  private Object pdfBoxToken() throws IOException {
    if (pdfBox == null) {
      pdfBox = new PDFStreamParser(new Source(read));
    }
    leftToPdfBox++;
    read.seek(position);
    Object token = pdfBox.parseNextToken();
    if (read.isClosed()) {
      ended = true; // PDFBox came to the end, or gave up on the rest: it returns nothing more
      position = length;
    } else {
      ended = token == null;
      position = (int) read.getPosition();
    }
    return token;
  }

  /** How many tokens PDFBox's parser read so far. */
  int leftToPdfBox() {
    return leftToPdfBox;
  }

  /** As BaseParser.skipSpaces: whitespace, and comments up to the end of their line. */
  private void skipSpaces() {
    while (position < length) {
      int c = bytes[position];
      if (c == '%') {
        while (position < length && bytes[position] != '\n' && bytes[position] != '\r') {
          position++;
        }
      } else if (isWhitespace(c)) {
        position++;
      } else {
        return;
      }
    }
  }

  private static boolean isWhitespace(int c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0;
  }

  /** As BaseParser.isEndOfName. */
  private static boolean isEndOfName(int c) {
    return switch (c) {
      case ' ', '\r', '\n', '\t', '>', '<', '[', '/', ']', ')', '(', 0, '\f', '%' -> true;
      default -> false;
    };
  }

  private static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  /**
   * A number as PDFStreamParser reads one outside an array: digits and one point, ended by anything
   * else but a {@code -} (which PDFStreamParser drops from the middle of a number).
   */
  private Object number() {
    Object number = canonicalNumber();
    return number != PDFBOX && position < length && bytes[position] == '-' ? PDFBOX : number;
  }

  /**
   * {@code -?d*(.d*)?} with a digit in it, as COSNumber.get makes it: an integer without a point,
   * else a float, here without Float.parseFloat where the digits fit a float exactly and the point
   * is at most ten places from the end; there the quotient of two exact floats is the correctly
   * rounded float, as parseFloat's own. Leaves {@link #position} after it; anything else is
   * PDFBox's.
   */
  private Object canonicalNumber() {
    int start = position;
    boolean negative = bytes[position] == '-';
    if (negative) {
      position++;
    }
    long digits = 0;
    int count = 0;
    int significant = 0;
    int afterPoint = -1;
    while (position < length) {
      int c = bytes[position];
      if (isDigit(c)) {
        if (significant > 0 || c != '0') {
          significant++;
        }
        if (significant <= 18) {
          digits = digits * 10 + (c - '0');
        }
        count++;
        if (afterPoint >= 0) {
          afterPoint++;
        }
      } else if (c == '.' && afterPoint < 0) {
        afterPoint = 0;
      } else {
        break;
      }
      position++;
    }
    if (count == 0 || significant > 18) {
      return PDFBOX; // "-", ".", "-.": PDFBox's repairs; 19 digits: beyond a long
    }
    if (afterPoint < 0) {
      return COSInteger.get(negative ? -digits : digits);
    }
    if (digits <= EXACT_FLOAT_INTEGERS && afterPoint < EXACT_POWERS_OF_TEN.length) {
      float value = (float) digits / EXACT_POWERS_OF_TEN[afterPoint];
      // COSFloat makes -0 0, as it makes every value below the smallest normal float 0
      return value == 0f ? new COSFloat(0f) : new COSFloat(negative ? -value : value);
    }
    try {
      return new COSFloat(new String(bytes, start, position - start, StandardCharsets.ISO_8859_1));
    } catch (IOException unreadable) {
      return PDFBOX; // cannot happen for these forms; PDFBox says what it makes of it
    }
  }

  /** A name without {@code #} escapes, as BaseParser.parseCOSName. */
  private Object name() {
    int start = ++position;
    while (position < length && !isEndOfName(bytes[position])) {
      if (bytes[position] == '#') {
        return PDFBOX;
      }
      position++;
    }
    return COSName.getPDFName(Arrays.copyOfRange(bytes, start, position));
  }

  /**
   * A word PDFStreamParser reads up to the end of a name (BaseParser.readString): {@code null},
   * {@code true}, {@code false}, or an operator (then {@code BT}, {@code f*}, ... but also {@code
   * f1}); {@code BI} begins an inline image, PDFBox's.
   */
  private Object word() {
    int start = position;
    while (position < length && !isEndOfName(bytes[position])) {
      position++;
    }
    Operator known = KnownOperators.find(bytes, start, position);
    if (known != null) {
      return known;
    }
    String word = new String(bytes, start, position - start, StandardCharsets.ISO_8859_1);
    return switch (word) {
      case "null" -> COSNull.NULL;
      case "true" -> COSBoolean.TRUE;
      case "false" -> COSBoolean.FALSE;
      case "BI" -> PDFBOX;
      default -> Operator.getOperator(word);
    };
  }

  /**
   * An operator as PDFStreamParser.readOperator reads one: up to whitespace, a digit or one of
   * {@code [<(/%}, taking a digit after {@code d} ({@code d0}, {@code d1}). A control character in
   * it is PDFBox's, which trims it off the ends.
   */
  private Object operator() {
    int start = position;
    while (position < length) {
      int c = bytes[position];
      if (isWhitespace(c)
          || c == '['
          || c == '<'
          || c == '('
          || c == '/'
          || c == '%'
          || isDigit(c)) {
        break;
      }
      if (c >= 0 && c < ' ') {
        return PDFBOX;
      }
      position++;
      if (c == 'd' && position < length && (bytes[position] == '0' || bytes[position] == '1')) {
        position++;
      }
    }
    Operator known = KnownOperators.find(bytes, start, position);
    return known != null
        ? known
        : Operator.getOperator(
            new String(bytes, start, position - start, StandardCharsets.ISO_8859_1));
  }

  /**
   * The operators PDF defines (PDFBox's {@link OperatorName}), found by their bytes without making
   * a String and looking it up in PDFBox's map: the same instances, which PDFBox keeps one of per
   * name. Every such name is one to three bytes long, none of them 0, so the bytes packed into an
   * int are a key of their own. BI and ID are not here: PDFBox makes a new one of each every time.
   */
  private static final class KnownOperators {
    private static final int SLOTS = 256;
    private static final int[] KEYS = new int[SLOTS];
    private static final Operator[] OPERATORS = new Operator[SLOTS];

    static {
      for (java.lang.reflect.Field field : OperatorName.class.getFields()) {
        String name;
        try {
          name = (String) field.get(null);
        } catch (IllegalAccessException | ClassCastException e) {
          continue;
        }
        if (name.isEmpty()
            || name.length() > 3
            || name.equals(OperatorName.BEGIN_INLINE_IMAGE)
            || name.equals(OperatorName.BEGIN_INLINE_IMAGE_DATA)) {
          continue;
        }
        byte[] b = name.getBytes(StandardCharsets.ISO_8859_1);
        int key = key(b, 0, b.length);
        int slot = slot(key);
        while (KEYS[slot] != 0 && KEYS[slot] != key) {
          slot = (slot + 1) & (SLOTS - 1);
        }
        KEYS[slot] = key;
        OPERATORS[slot] = Operator.getOperator(name);
      }
    }

    /** The operator {@code bytes[start, end)} name, if PDF defines it; else null. */
    static Operator find(byte[] bytes, int start, int end) {
      if (end - start > 3) {
        return null;
      }
      int key = key(bytes, start, end);
      for (int slot = slot(key); KEYS[slot] != 0; slot = (slot + 1) & (SLOTS - 1)) {
        if (KEYS[slot] == key) {
          return OPERATORS[slot];
        }
      }
      return null;
    }

    private static int key(byte[] bytes, int start, int end) {
      int key = 0;
      for (int i = start; i < end; i++) {
        key = key << 8 | (bytes[i] & 0xff);
      }
      return key;
    }

    private static int slot(int key) {
      return (key * 0x9E3779B1) >>> 24;
    }
  }

  /**
   * A literal string as BaseParser.parseCOSString reads it, escapes and balanced parentheses
   * included, and its guess at where a string with an unbalanced one ends; one the content ends
   * inside is PDFBox's.
   */
  private Object literalString() {
    position++;
    byte[] out = scratch;
    int size = 0;
    int braces = 1;
    while (true) {
      if (position >= length) {
        return PDFBOX;
      }
      int c = bytes[position++] & 0xff;
      if (c == ')') {
        braces = endOfString(braces - 1);
        if (braces == 0) {
          break;
        }
      } else if (c == '(') {
        braces++;
      } else if (c == '\\') {
        if (position >= length) {
          return PDFBOX;
        }
        int next = bytes[position++] & 0xff;
        switch (next) {
          case 'n' -> c = '\n';
          case 'r' -> c = '\r';
          case 't' -> c = '\t';
          case 'b' -> c = '\b';
          case 'f' -> c = '\f';
          case ')' -> {
            braces = endOfString(braces);
            c = braces != 0 ? ')' : '\\';
          }
          case '\n', '\r' -> {
            while (position < length && (bytes[position] == '\n' || bytes[position] == '\r')) {
              position++;
            }
            c = -1; // a line continued: nothing written
          }
          case '0', '1', '2', '3', '4', '5', '6', '7' -> {
            c = next - '0';
            for (int i = 0; i < 2 && position < length && isOctal(bytes[position]); i++) {
              c = c * 8 + (bytes[position++] - '0');
            }
            if (position >= length) {
              return PDFBOX; // PDFBox reads past the end here, and puts nothing back
            }
            c &= 0xff;
          }
          default -> c = next;
        }
        if (c >= 0) {
          if (size == out.length) {
            out = Arrays.copyOf(out, size * 2);
          }
          out[size++] = (byte) c;
        }
        if (braces == 0) {
          break;
        }
        continue;
      }
      if (size == out.length) {
        out = Arrays.copyOf(out, size * 2);
      }
      out[size++] = (byte) c;
    }
    scratch = out;
    return new COSString(Arrays.copyOf(out, size));
  }

  private static boolean isOctal(int c) {
    return c >= '0' && c <= '7';
  }

  /**
   * BaseParser.checkForEndOfString: with parentheses still open, a {@code )} ends the string anyway
   * when a new line follows that begins with {@code /} or {@code >}.
   */
  private int endOfString(int braces) {
    if (braces == 0 || length - position < 3) {
      return braces;
    }
    byte b0 = bytes[position];
    byte b1 = bytes[position + 1];
    byte b2 = bytes[position + 2];
    boolean newLineOfObject =
        (b0 == '\r' || b0 == '\n') && (b1 == '/' || b1 == '>')
            || b0 == '\r' && b1 == '\n' && (b2 == '/' || b2 == '>');
    return newLineOfObject ? 0 : braces;
  }

  /** A hex string of hex digits and white space; one with anything else in it is PDFBox's. */
  private Object hexString() {
    position++;
    byte[] out = scratch;
    int size = 0;
    int high = -1;
    while (true) {
      if (position >= length) {
        return PDFBOX;
      }
      int c = bytes[position++];
      int value = hexValue(c);
      if (value >= 0) {
        if (high < 0) {
          high = value;
        } else {
          if (size == out.length) {
            out = Arrays.copyOf(out, size * 2);
          }
          out[size++] = (byte) (high << 4 | value);
          high = -1;
        }
      } else if (c == '>') {
        break;
      } else if (!(c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\b' || c == '\f')) {
        return PDFBOX;
      }
    }
    if (high >= 0) { // an odd digit out: COSString.parseHex reads it as followed by 0
      if (size == out.length) {
        out = Arrays.copyOf(out, size * 2);
      }
      out[size++] = (byte) (high << 4);
    }
    scratch = out;
    return new COSString(Arrays.copyOf(out, size));
  }

  private static int hexValue(int c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  /**
   * An array of numbers, names and strings, as BaseParser.parseCOSArray reads one (a TJ's, a dash
   * pattern's); nested arrays, dictionaries, object references, and whatever it repairs are
   * PDFBox's, as is an array the content ends inside.
   */
  private Object array() {
    position++;
    COSArray array = new COSArray();
    while (true) {
      skipSpaces();
      if (position >= length) {
        return PDFBOX;
      }
      int c = bytes[position];
      if (c == ']') {
        position++;
        skipSpaces();
        return array;
      }
      Object element =
          switch (c) {
            case '(' -> literalString();
            case '<' -> position + 1 < length && bytes[position + 1] == '<' ? PDFBOX : hexString();
            case '/' -> name();
            case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-', '.' -> arrayNumber();
            default -> PDFBOX;
          };
      if (element == PDFBOX) {
        return PDFBOX;
      }
      array.add((COSBase) element);
    }
  }

  /**
   * A number in an array, where BaseParser reads on through signs, points and exponents: one that
   * goes on with any of those is PDFBox's.
   */
  private Object arrayNumber() {
    Object number = canonicalNumber();
    if (number != PDFBOX && position < length) {
      int c = bytes[position];
      if (c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
        return PDFBOX;
      }
    }
    return number;
  }

  /**
   * The content as a PDContentStream, for the one constructor PDFStreamParser has that takes a
   * reader.
   */
  private record Source(RandomAccessRead read) implements PDContentStream {
    @Override
    public RandomAccessRead getContentsForStreamParsing() {
      return read;
    }

    @Override
    public RandomAccessRead getContentsForRandomAccess() {
      return read;
    }

    @Override
    public InputStream getContents() {
      throw new UnsupportedOperationException("read through the parser only");
    }

    @Override
    public PDResources getResources() {
      return null;
    }

    @Override
    public PDRectangle getBBox() {
      return null;
    }

    @Override
    public Matrix getMatrix() {
      return null;
    }
  }
}
