package dev.docmesh.orchestrator;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.regex.Pattern;

/**
 * The shapes of the ids the orchestrator hands out, and their checks (malformed →
 * INVALID_ARGUMENT).
 */
public final class Ids {
  private static final char[] CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  private static final Pattern JOB_ID = Pattern.compile("job-[0-9A-HJKMNP-TV-Z]{26}");
  private static final Pattern DOCUMENT_ID = Pattern.compile("sha256:[0-9a-f]{64}");
  private static final Pattern STAGE_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ids() {}

  private static long lastMillis = -1;
  private static long lastHi;
  private static long lastLo;

  /**
   * "job-" and a ULID: ids sort by creation time, which ListJobs' newest-first order relies on.
   * Monotonic within one millisecond (the random part is incremented), so ids made by this process
   * sort exactly in creation order.
   */
  public static synchronized String newJobId(Instant now) {
    long time = Math.max(now.toEpochMilli(), lastMillis);
    if (time == lastMillis) {
      lastLo++;
      if (lastLo >>> 40 != 0) {
        lastLo = 0;
        lastHi = (lastHi + 1) & 0xFF_FFFF_FFFFL;
      }
    } else {
      lastMillis = time;
      lastHi = RANDOM.nextLong() & 0xFF_FFFF_FFFFL;
      lastLo = RANDOM.nextLong() & 0x7F_FFFF_FFFFL; // top bit clear: room to increment
    }
    char[] out = new char[26];
    encode(out, 0, 10, time);
    encode(out, 10, 8, lastHi);
    encode(out, 18, 8, lastLo);
    return "job-" + new String(out);
  }

  private static void encode(char[] out, int from, int chars, long value) {
    for (int i = from + chars - 1; i >= from; i--) {
      out[i] = CROCKFORD[(int) (value & 31)];
      value >>>= 5;
    }
  }

  public static String newLeaseToken() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    StringBuilder sb = new StringBuilder(32);
    for (byte x : b) {
      sb.append(Character.forDigit((x >> 4) & 15, 16)).append(Character.forDigit(x & 15, 16));
    }
    return sb.toString();
  }

  public static String checkJobId(String field, String id) {
    if (id.isEmpty()) {
      throw new Failure.InvalidArgument(field, "required");
    }
    if (!JOB_ID.matcher(id).matches()) {
      throw new Failure.InvalidArgument(
          field, "not a job id (job-<26 Crockford base32 characters>): " + clip(id));
    }
    return id;
  }

  public static String checkDocumentId(String field, String id) {
    if (id.isEmpty()) {
      throw new Failure.InvalidArgument(field, "required");
    }
    if (!DOCUMENT_ID.matcher(id).matches()) {
      throw new Failure.InvalidArgument(
          field, "not a document id (sha256:<64 lowercase hex digits>): " + clip(id));
    }
    return id;
  }

  /** A task id "<job id>/<stage>", checked and split. */
  public static TaskId checkTaskId(String field, String id) {
    if (id.isEmpty()) {
      throw new Failure.InvalidArgument(field, "required");
    }
    int slash = id.indexOf('/');
    if (slash < 0
        || !JOB_ID.matcher(id.substring(0, slash)).matches()
        || !STAGE_NAME.matcher(id.substring(slash + 1)).matches()) {
      throw new Failure.InvalidArgument(field, "not a task id (<job id>/<stage>): " + clip(id));
    }
    return new TaskId(id.substring(0, slash), id.substring(slash + 1));
  }

  public static boolean isStageName(String name) {
    return STAGE_NAME.matcher(name).matches();
  }

  public static String taskId(String jobId, String stage) {
    return jobId + "/" + stage;
  }

  private static String clip(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }

  /** The two parts of a task id. */
  public record TaskId(String jobId, String stage) {}
}
