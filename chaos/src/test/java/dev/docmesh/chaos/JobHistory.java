package dev.docmesh.chaos;

import com.google.protobuf.util.Timestamps;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import java.util.List;

/**
 * A job as GetJob answered at the end, and its whole event history as WatchJob(after_sequence=0)
 * replayed it.
 */
record JobHistory(Job job, List<JobEvent> events, String watchEnd) {

  long eventMillis(JobEvent e) {
    return Timestamps.toMillis(e.getTime());
  }

  /** Time of the first task completion after {@code afterMillis}, or -1. */
  long firstCompletionAfter(long afterMillis) {
    return events.stream()
        .filter(
            e ->
                e.hasTaskStateChanged()
                    && e.getTaskStateChanged().getTo() == TaskState.TASK_STATE_SUCCEEDED)
        .mapToLong(this::eventMillis)
        .filter(t -> t >= afterMillis)
        .min()
        .orElse(-1);
  }
}
