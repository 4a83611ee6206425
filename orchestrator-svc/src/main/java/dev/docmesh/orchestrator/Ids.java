package dev.docmesh.orchestrator;

import dev.docmesh.meshkit.grpc.Errors;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.regex.Pattern;

/** The shapes of the ids the orchestrator hands out, and their checks (malformed → INVALID_ARGUMENT). */
public final class Ids {
  private static final char[] CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  private static final Pattern JOB_ID = Pattern.compile("job-[0-9A-HJKMNP-TV-Z]{26}");
  private static final Pattern DOCUMENT_ID = Pattern.compile("sha256:[0-9a-f]{64}");
  private static final Pattern STAGE_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ids() {}

  /** "job-" and a ULID: ids sort by creation time, which ListJobs' newest-first order relies on. */
  public static String newJobId(Instant now) {
    char[] out = new char[26];
    long time = now.toEpochMilli();
    for (int i = 9; i >= 0; i--) {
      out[i] = CROCKFORD[(int) (time & 31)];
      time >>>= 5;
    }
    byte[] random = new byte[10];
    RANDOM.nextBytes(random);
    long hi = 0;
    long lo = 0;
    for (int i = 0; i < 5; i++) {
      hi = (hi << 8) | (random[i] & 0xff);
      lo = (lo << 8) | (random[i + 5] & 0xff);
    }
    for (int i = 17; i >= 10; i--) {
      out[i] = CROCKFORD[(int) (hi & 31)];
      hi >>>= 5;
    }
    for (int i = 25; i >= 18; i--) {
      out[i] = CROCKFORD[(int) (lo & 31)];
      lo >>>= 5;
    }
    return "job-" + new String(out);
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
      throw Errors.invalidArgument(field, "required");
    }
    if (!JOB_ID.matcher(id).matches()) {
      throw Errors.invalidArgument(field, "not a job id (job-<26 Crockford base32 characters>): " + clip(id));
    }
    return id;
  }

  public static String checkDocumentId(String field, String id) {
    if (id.isEmpty()) {
      throw Errors.invalidArgument(field, "required");
    }
    if (!DOCUMENT_ID.matcher(id).matches()) {
      throw Errors.invalidArgument(field, "not a document id (sha256:<64 lowercase hex digits>): " + clip(id));
    }
    return id;
  }

  /** A task id "<job id>/<stage>", checked and split. */
  public static TaskId checkTaskId(String field, String id) {
    if (id.isEmpty()) {
      throw Errors.invalidArgument(field, "required");
    }
    int slash = id.indexOf('/');
    if (slash < 0
        || !JOB_ID.matcher(id.substring(0, slash)).matches()
        || !STAGE_NAME.matcher(id.substring(slash + 1)).matches()) {
      throw Errors.invalidArgument(field, "not a task id (<job id>/<stage>): " + clip(id));
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
