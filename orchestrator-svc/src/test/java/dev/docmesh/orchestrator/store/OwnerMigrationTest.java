package dev.docmesh.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.docmesh.orchestrator.Ids;
import dev.docmesh.orchestrator.model.JobRecord;
import dev.docmesh.orchestrator.pipeline.BuiltInPipelines;
import dev.docmesh.orchestrator.pipeline.PipelineValidator;
import dev.docmesh.proto.document.v1.DocumentRef;
import dev.docmesh.proto.orchestrator.v1.Pipeline;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/**
 * V2 on a file written by V1: the jobs stored before ownership keep everything, get no owner (only
 * those who see all jobs see them), and request_id becomes unique per owner.
 */
class OwnerMigrationTest {
  @TempDir Path dir;

  @Test
  void jobsFromBeforeOwnershipKeepTheirDataAndHaveNoOwner() throws Exception {
    Path file = dir.resolve("orchestrator.db");
    SQLiteDataSource ds = new SQLiteDataSource();
    ds.setUrl("jdbc:sqlite:" + file);
    Flyway.configure()
        .dataSource(ds)
        .locations("classpath:db/migration")
        .target("1")
        .load()
        .migrate();
    Pipeline p = BuiltInPipelines.pdfStandard();
    JobRecord old =
        new JobRecord(
            Ids.newJobId(Instant.now()),
            p.getName(),
            p,
            PipelineValidator.validate(p, "p", x -> true),
            DocumentRef.newBuilder().setId("sha256:" + "a".repeat(64)).build(),
            Map.of(),
            0,
            "req-1",
            Instant.now(),
            "",
            "",
            "",
            "");
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO jobs (id, request_id, state, pipeline, document_id, create_ms, job, pipeline_def, password, tracestate)"
                    + " VALUES (?,?,?,?,?,?,?,?,'','')")) {
      ps.setString(1, old.id());
      ps.setString(2, "req-1");
      ps.setInt(3, old.state().getNumber());
      ps.setString(4, p.getName());
      ps.setString(5, old.document().getId());
      ps.setLong(6, old.createTime().toEpochMilli());
      ps.setBytes(7, old.toProto().toByteArray());
      ps.setBytes(8, p.toByteArray());
      ps.executeUpdate();
    }

    try (SqliteJobStore store = new SqliteJobStore(file, "NORMAL")) {
      assertThat(store.load(old.id()).map(JobRecord::owner)).contains("");
      assertThat(store.loadUnfinished()).extracting(JobRecord::id).containsExactly(old.id());
      assertThat(store.jobIdForRequest("", "req-1")).contains(old.id());
      assertThat(store.jobIdForRequest("alice", "req-1")).isEmpty();
      assertThat(store.list(Set.of(), Map.of(), "", Optional.of("alice"), "", 10)).isEmpty();
      assertThat(store.list(Set.of(), Map.of(), "", Optional.empty(), "", 10)).hasSize(1);

      JobRecord alices =
          new JobRecord(
              Ids.newJobId(Instant.now()),
              p.getName(),
              p,
              PipelineValidator.validate(p, "p", x -> true),
              old.document(),
              Map.of(),
              0,
              "req-1",
              Instant.now(),
              "",
              "",
              "",
              "alice");
      store.insert(alices);
      assertThat(store.jobIdForRequest("alice", "req-1")).contains(alices.id());
      assertThat(store.mayUseDocument(old.document().getId(), "alice")).isTrue();
      assertThat(store.mayUseDocument(old.document().getId(), "bob")).isFalse();
    }
  }
}
