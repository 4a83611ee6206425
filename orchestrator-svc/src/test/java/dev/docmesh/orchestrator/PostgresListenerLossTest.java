package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.util.Durations;
import dev.docmesh.orchestrator.store.PostgresDatabase;
import dev.docmesh.orchestrator.store.TestPostgres;
import dev.docmesh.proto.orchestrator.v1.Job;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.ListWorkersRequest;
import dev.docmesh.proto.orchestrator.v1.PollTaskRequest;
import dev.docmesh.proto.orchestrator.v1.PollTaskResponse;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replica A loses its LISTEN connection (its backend is terminated from another session) and, to
 * keep the gap open while replica B commits, cannot log in again until the test lets it (A and B
 * connect as roles of their own; A's is NOLOGIN meanwhile). A must notice, reconnect, and resync:
 * what B committed in the gap reaches A's watchers gap-free and A's parked poll, and later commits
 * reach A live again. Over real gRPC, on a real PostgreSQL server.
 */
class PostgresListenerLossTest {
  @TempDir Path dir;
  String url;
  String roleA;
  String roleB;
  TestOrchestrator a;
  TestOrchestrator b;

  @BeforeEach
  void start() throws Exception {
    // without the URL's user=postgres, which would win over DOCMESH_POSTGRES_USER
    url = TestPostgres.newDatabase().replaceFirst("\\?.*$", "");
    String suffix = Long.toString(System.nanoTime());
    roleA = "docmesh_replica_a_" + suffix;
    roleB = "docmesh_replica_b_" + suffix;
    for (String role : List.of(roleA, roleB)) {
      sql("CREATE ROLE " + role + " LOGIN SUPERUSER PASSWORD 'pw'");
    }
    a = TestOrchestrator.start(Files.createDirectories(dir.resolve("a")), env(roleA));
    b = TestOrchestrator.start(Files.createDirectories(dir.resolve("b")), env(roleB));
  }

  @AfterEach
  void stop() throws Exception {
    sql("ALTER ROLE " + roleA + " LOGIN");
    a.close();
    b.close();
  }

  private Map<String, String> env(String role) {
    Map<String, String> env = PostgresReplicasTest.postgres(url);
    env.put("DOCMESH_POSTGRES_USER", role);
    env.put("DOCMESH_POSTGRES_PASSWORD", "pw");
    return env;
  }

  private void sql(String statement) throws Exception {
    try (Connection c = admin();
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }

  private Connection admin() throws Exception {
    return DriverManager.getConnection(url, TestPostgres.user(), TestPostgres.password());
  }

  /** Backend pids of {@code role}'s LISTEN connections. */
  private List<Integer> listeners(String role) throws Exception {
    try (Connection c = admin();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT pid FROM pg_stat_activity WHERE usename = ? AND application_name = ?")) {
      ps.setString(1, role);
      ps.setString(2, PostgresDatabase.LISTENER_NAME);
      try (ResultSet rs = ps.executeQuery()) {
        List<Integer> pids = new java.util.ArrayList<>();
        while (rs.next()) {
          pids.add(rs.getInt(1));
        }
        return pids;
      }
    }
  }

  private CompletableFuture<PollTaskResponse> parkPollOnA(String workerId) {
    int before = a.client.listWorkers(ListWorkersRequest.getDefaultInstance()).getWorkersCount();
    CompletableFuture<PollTaskResponse> polled =
        CompletableFuture.supplyAsync(
            () ->
                a.queue
                    .withDeadlineAfter(120, TimeUnit.SECONDS)
                    .pollTask(
                        PollTaskRequest.newBuilder()
                            .setWorkerId(workerId)
                            .addProcessors("text.plain")
                            .setWait(Durations.fromSeconds(90))
                            .build()));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                a.client.listWorkers(ListWorkersRequest.getDefaultInstance()).getWorkersCount()
                    > before);
    return polled;
  }

  @Test
  void aReplicaThatLostItsListenConnectionReconnectsAndCatchesUpOnWhatItMissed() throws Exception {
    Job watched = b.submit(PostgresReplicasTest.pdf(""));
    EventCollector onA = new EventCollector();
    a.asyncClient.watchJob(WatchJobRequest.newBuilder().setJobId(watched.getId()).build(), onA);
    await().atMost(Duration.ofSeconds(30)).until(() -> !onA.events.isEmpty());
    CompletableFuture<PollTaskResponse> parked = parkPollOnA("parked-on-a");

    List<Integer> pids = listeners(roleA);
    assertThat(pids).hasSize(1);
    sql("ALTER ROLE " + roleA + " NOLOGIN");
    sql("SELECT pg_terminate_backend(" + pids.get(0) + ")");
    await().atMost(Duration.ofSeconds(30)).until(() -> listeners(roleA).isEmpty());

    // B commits while A hears nothing: the watched job runs to its end, a new job is READY.
    ScriptedWorker worker = b.worker("w-b");
    for (int done = 0; done < 5; ) {
      Task t = worker.poll();
      if (t != null) {
        worker.complete(t);
        done++;
      }
    }
    Job missed = b.client.submitJob(DispatchBenchmark.job(1)).getJob();
    assertThat(parked).as("A cannot know of B's job yet").isNotDone();
    assertThat(onA.done.getCount()).as("A cannot know the job ended").isEqualTo(1);

    sql("ALTER ROLE " + roleA + " LOGIN");
    PollTaskResponse r = parked.get(60, TimeUnit.SECONDS);
    assertThat(r.getTask().getJobId()).isEqualTo(missed.getId());
    assertThat(listeners(roleA)).hasSize(1);

    assertThat(onA.awaitDone()).isTrue();
    assertThat(onA.error).isNull();
    EventCollector fromB = new EventCollector();
    b.asyncClient.watchJob(WatchJobRequest.newBuilder().setJobId(watched.getId()).build(), fromB);
    assertThat(fromB.awaitDone()).isTrue();
    assertThat(onA.sequences())
        .containsExactly(
            LongStream.rangeClosed(1, fromB.lastSequence()).boxed().toArray(Long[]::new));
    assertThat(onA.events).isEqualTo(fromB.events);
    assertThat(onA.events.get(onA.events.size() - 1).getJobState())
        .isEqualTo(dev.docmesh.proto.orchestrator.v1.JobState.JOB_STATE_SUCCEEDED);

    // Live again: a poll parked on A now is answered by a submit through B.
    CompletableFuture<PollTaskResponse> next = parkPollOnA("parked-again");
    Job later = b.client.submitJob(DispatchBenchmark.job(2)).getJob();
    assertThat(next.get(30, TimeUnit.SECONDS).getTask().getJobId()).isEqualTo(later.getId());
    assertThat(onA.events).extracting(JobEvent::getJobId).containsOnly(watched.getId());
  }
}
