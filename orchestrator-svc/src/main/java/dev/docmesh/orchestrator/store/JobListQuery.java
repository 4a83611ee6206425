package dev.docmesh.orchestrator.store;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The ListJobs query over the {@code jobs} and {@code job_labels} tables, in the SQL both stores
 * speak (SQLite and PostgreSQL share the schema's shape), newest first, paged by job id.
 */
final class JobListQuery {
  private final StringBuilder sql = new StringBuilder("SELECT job FROM jobs j WHERE 1=1");
  private final List<Object> args = new ArrayList<>();

  JobListQuery(
      Set<JobState> states,
      Map<String, String> labels,
      String pipeline,
      Optional<String> owner,
      String afterJobId,
      int limit) {
    if (owner.isPresent()) {
      sql.append(" AND owner = ?");
      args.add(owner.get());
    }
    if (!states.isEmpty()) {
      sql.append(" AND state IN (").append("?,".repeat(states.size() - 1)).append("?)");
      states.forEach(s -> args.add(s.getNumber()));
    }
    for (Map.Entry<String, String> e : labels.entrySet()) {
      sql.append(
          " AND EXISTS (SELECT 1 FROM job_labels l WHERE l.job_id = j.id AND l.key = ? AND l.value = ?)");
      args.add(e.getKey());
      args.add(e.getValue());
    }
    if (!pipeline.isEmpty()) {
      sql.append(" AND pipeline = ?");
      args.add(pipeline);
    }
    if (!afterJobId.isEmpty()) {
      sql.append(" AND id < ?");
      args.add(afterJobId);
    }
    sql.append(" ORDER BY id DESC LIMIT ?");
    args.add(limit);
  }

  List<Job> run(Connection c) throws SQLException {
    List<Job> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          try {
            out.add(Job.parseFrom(rs.getBytes(1)));
          } catch (InvalidProtocolBufferException e) {
            throw new SQLException("corrupt stored message: " + e.getMessage(), e);
          }
        }
      }
    }
    return out;
  }
}
