package dev.docmesh.orchestrator.store;

import dev.docmesh.orchestrator.model.JobRecord;
import dev.docmesh.orchestrator.model.TaskRecord;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;

/**
 * PostgreSQL schema version 4: fills the claim columns of {@code V3__task_claims.sql} for the tasks
 * of the unfinished jobs stored before it. A task's state lives in the job row's {@code Job}
 * message, so this decodes it (SQL cannot); finished jobs have no READY task and keep the defaults.
 */
final class TaskClaimsBackfill implements JavaMigration {
  @Override
  public MigrationVersion getVersion() {
    return MigrationVersion.fromVersion("4");
  }

  @Override
  public String getDescription() {
    return "task claims backfill";
  }

  @Override
  public Integer getChecksum() {
    return 1; // bump only with a change that must not be applied twice; released: never edit
  }

  @Override
  public boolean canExecuteInTransaction() {
    return true;
  }

  @Override
  public void migrate(Context context) throws Exception {
    Connection c = context.getConnection();
    try (PreparedStatement jobs =
            c.prepareStatement(
                "SELECT job, pipeline_def FROM jobs WHERE state IN (?, ?) ORDER BY id");
        PreparedStatement task =
            c.prepareStatement(
                "UPDATE tasks SET processor = ?, priority = ?, ready = ? WHERE job_id = ? AND stage = ?")) {
      jobs.setInt(1, JobState.JOB_STATE_QUEUED.getNumber());
      jobs.setInt(2, JobState.JOB_STATE_RUNNING.getNumber());
      jobs.setFetchSize(500);
      try (ResultSet rs = jobs.executeQuery()) {
        while (rs.next()) {
          JobRecord job =
              JobRecord.restore(
                  Job.parseFrom(rs.getBytes(1)), Pipeline.parseFrom(rs.getBytes(2)), "", "");
          for (TaskRecord t : job.tasks()) {
            task.setString(1, t.processor());
            task.setInt(2, job.priority());
            task.setBoolean(3, t.is(TaskState.TASK_STATE_READY));
            task.setString(4, job.id());
            task.setString(5, t.name());
            task.addBatch();
          }
        }
      }
      task.executeBatch();
    }
  }
}
