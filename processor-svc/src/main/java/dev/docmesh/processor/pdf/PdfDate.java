package dev.docmesh.processor.pdf;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PDF date string ({@code D:YYYYMMDDHHmmSSOHH'mm'}) read the lenient way real files need: missing
 * parts default as the spec says, the offset is kept as written, and a malformed offset such as
 * {@code Z07'46'} reads as UTC (the Z decides) instead of failing.
 *
 * @param raw the string exactly as stored
 * @param local the date-time as written, without offset
 * @param offsetText everything after the seconds, as written ("" when absent)
 * @param offset the offset applied; UTC when absent or unreadable
 */
public record PdfDate(String raw, LocalDateTime local, String offsetText, ZoneOffset offset) {
  private static final Pattern DATE =
      Pattern.compile(
          "(?:D:)?\\s*(\\d{4})(\\d{2})?(\\d{2})?(\\d{2})?(\\d{2})?(\\d{2})?(.*)", Pattern.DOTALL);
  private static final Pattern OFFSET = Pattern.compile("([+-])(\\d{2})'?(?:(\\d{2})'?)?");

  public static Optional<PdfDate> parse(String raw) {
    if (raw == null) {
      return Optional.empty();
    }
    Matcher m = DATE.matcher(raw.trim());
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      LocalDateTime local =
          LocalDateTime.of(
              Integer.parseInt(m.group(1)),
              part(m.group(2), 1),
              part(m.group(3), 1),
              part(m.group(4), 0),
              part(m.group(5), 0),
              part(m.group(6), 0));
      String offsetText = m.group(7).trim();
      return Optional.of(new PdfDate(raw, local, offsetText, offsetOf(offsetText)));
    } catch (java.time.DateTimeException e) {
      return Optional.empty();
    }
  }

  private static int part(String digits, int missing) {
    return digits == null ? missing : Integer.parseInt(digits);
  }

  private static ZoneOffset offsetOf(String text) {
    Matcher m = OFFSET.matcher(text);
    if (text.isEmpty() || text.startsWith("Z") || !m.lookingAt()) {
      return ZoneOffset.UTC;
    }
    int hours = Integer.parseInt(m.group(2));
    int minutes = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
    if (hours > 18 || minutes > 59) {
      return ZoneOffset.UTC;
    }
    int sign = m.group(1).equals("-") ? -1 : 1;
    return ZoneOffset.ofHoursMinutes(sign * hours, sign * minutes);
  }

  public java.time.Instant instant() {
    return local.toInstant(offset);
  }
}
