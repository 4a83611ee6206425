package dev.docmesh.monitor.alerts;

import com.google.protobuf.util.Timestamps;
import dev.docmesh.proto.monitor.v1.Silence;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Silences by rule and label matchers; expired ones are forgotten. */
public final class Silences {
  private final List<Silence> silences = new ArrayList<>();

  public synchronized Silence add(
      String rule,
      Map<String, String> matchers,
      Duration duration,
      String comment,
      String createdBy,
      Instant now) {
    Silence s =
        Silence.newBuilder()
            .setId(UUID.randomUUID().toString())
            .setRule(rule)
            .putAllMatchers(matchers)
            .setStartsAt(Timestamps.fromMillis(now.toEpochMilli()))
            .setEndsAt(Timestamps.fromMillis(now.plus(duration).toEpochMilli()))
            .setComment(comment)
            .setCreatedBy(createdBy)
            .build();
    silences.add(s);
    return s;
  }

  public synchronized boolean silenced(String rule, Map<String, String> labels, Instant now) {
    long nowMillis = now.toEpochMilli();
    silences.removeIf(s -> Timestamps.toMillis(s.getEndsAt()) <= nowMillis);
    return silences.stream()
        .anyMatch(
            s ->
                s.getRule().equals(rule)
                    && s.getMatchersMap().entrySet().stream()
                        .allMatch(m -> m.getValue().equals(labels.get(m.getKey()))));
  }
}
