package dev.docmesh.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.util.Durations;
import dev.docmesh.meshkit.testing.Loopback;
import dev.docmesh.orchestrator.store.TestPostgres;
import dev.docmesh.proto.orchestrator.v1.CompleteTaskRequest;
import dev.docmesh.proto.orchestrator.v1.GetJobRequest;
import dev.docmesh.proto.orchestrator.v1.JobEvent;
import dev.docmesh.proto.orchestrator.v1.JobState;
import dev.docmesh.proto.orchestrator.v1.ListPipelinesRequest;
import dev.docmesh.proto.orchestrator.v1.OrchestratorServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.PollTaskRequest;
import dev.docmesh.proto.orchestrator.v1.PollTaskResponse;
import dev.docmesh.proto.orchestrator.v1.Task;
import dev.docmesh.proto.orchestrator.v1.TaskQueueServiceGrpc;
import dev.docmesh.proto.orchestrator.v1.TaskState;
import dev.docmesh.proto.orchestrator.v1.WatchJobRequest;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of one replica mid-load: replica A is a process of its own (the orchestrator's main on
 * this test's classpath), B runs in this JVM; both on one PostgreSQL database.
 */
class ReplicaKillTest {
  @TempDir Path dir;

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void killingAReplicaLosesNoAcknowledgedJobAndRunsNoStageTwice() throws Exception {
    Map<String, String> env = PostgresReplicasTest.postgres(TestPostgres.newDatabase());
    env.put("DOCMESH_LEASE_DURATION", "3s");
    env.put("DOCMESH_LEASE_SWEEP_INTERVAL", "200ms");
    int portA = freePort();
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-cp",
            System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
            OrchestratorMain.class.getName());
    pb.environment().putAll(env);
    pb.environment().put("DOCMESH_GRPC_PORT", Integer.toString(portA));
    pb.environment().put("DOCMESH_METRICS_PORT", Integer.toString(freePort()));
    pb.environment().put("DOCMESH_DATA_DIR", Files.createDirectories(dir.resolve("a")).toString());
    pb.redirectErrorStream(true).redirectOutput(dir.resolve("a.log").toFile());
    Process replicaA = pb.start();
    ManagedChannel channelA = Loopback.channel(portA);
    ExecutorService pool = Executors.newCachedThreadPool();
    try (TestOrchestrator b =
        TestOrchestrator.start(Files.createDirectories(dir.resolve("b")), env)) {
      var clientA = OrchestratorServiceGrpc.newBlockingStub(channelA);
      var queueA = TaskQueueServiceGrpc.newBlockingStub(channelA);
      await()
          .atMost(Duration.ofSeconds(90))
          .ignoreExceptions()
          .until(
              () ->
                  clientA
                          .withDeadlineAfter(2, TimeUnit.SECONDS)
                          .listPipelines(ListPipelinesRequest.getDefaultInstance())
                      != null);

      List<String> acknowledged = new CopyOnWriteArrayList<>();
      for (int i = 0; i < 10; i++) {
        acknowledged.add(clientA.submitJob(PostgresReplicasTest.pdf("")).getJob().getId());
        acknowledged.add(b.submit(PostgresReplicasTest.pdf("")).getId());
      }
      // A task leased through A whose worker dies with A: only its lease expiry brings it back.
      Task orphan =
          queueA
              .pollTask(
                  PollTaskRequest.newBuilder()
                      .setWorkerId("dies-with-a")
                      .addProcessors("pdf.validate")
                      .setWait(Durations.fromSeconds(5))
                      .build())
              .getTask();
      assertThat(orphan.getAttempt()).isEqualTo(1);

      Map<String, AtomicInteger> succeeded = new ConcurrentHashMap<>();
      AtomicInteger completions = new AtomicInteger();
      AtomicBoolean stop = new AtomicBoolean();
      List<Throwable> unexpected = new CopyOnWriteArrayList<>();
      // Workers on A run until A is gone; workers on B until the end; a client keeps submitting
      // through A.
      for (int w = 0; w < 4; w++) {
        boolean onA = w % 2 == 0;
        var queue = onA ? queueA : b.queue;
        String id = (onA ? "wa-" : "wb-") + w;
        pool.submit(
            () -> {
              while (!stop.get()) {
                try {
                  PollTaskResponse r =
                      queue
                          .withDeadlineAfter(10, TimeUnit.SECONDS)
                          .pollTask(
                              PollTaskRequest.newBuilder()
                                  .setWorkerId(id)
                                  .addAllProcessors(ScriptedWorker.PDF_PROCESSORS)
                                  .setWait(Durations.fromMillis(500))
                                  .build());
                  if (!r.hasTask()) {
                    continue;
                  }
                  Task t = r.getTask();
                  queue
                      .withDeadlineAfter(10, TimeUnit.SECONDS)
                      .completeTask(
                          CompleteTaskRequest.newBuilder()
                              .setTaskId(t.getTaskId())
                              .setLeaseToken(t.getLeaseToken())
                              .setWorkerId(id)
                              .setOutput(ScriptedWorker.outputFor(t.getProcessor()))
                              .build());
                  succeeded
                      .computeIfAbsent(t.getTaskId(), k -> new AtomicInteger())
                      .incrementAndGet();
                  completions.incrementAndGet();
                } catch (io.grpc.StatusRuntimeException e) {
                  if (onA) {
                    return null; // A died: this worker's current task is abandoned with it
                  }
                  if (e.getStatus().getCode() != io.grpc.Status.Code.FAILED_PRECONDITION) {
                    unexpected.add(e);
                  }
                }
              }
              return null;
            });
      }
      pool.submit(
          () -> {
            while (!stop.get()) {
              try {
                acknowledged.add(
                    clientA
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .submitJob(PostgresReplicasTest.pdf(""))
                        .getJob()
                        .getId());
              } catch (io.grpc.StatusRuntimeException e) {
                return null; // not acknowledged: not owed
              }
            }
            return null;
          });

      await().atMost(Duration.ofSeconds(120)).until(() -> completions.get() >= 30);
      replicaA.destroyForcibly(); // SIGKILL
      assertThat(replicaA.waitFor(30, TimeUnit.SECONDS)).isTrue();
      int ackedAtKill = acknowledged.size();

      await()
          .atMost(Duration.ofSeconds(180))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () ->
                  acknowledged.stream()
                      .allMatch(
                          id ->
                              b.client
                                      .withDeadlineAfter(10, TimeUnit.SECONDS)
                                      .getJob(GetJobRequest.newBuilder().setJobId(id).build())
                                      .getJob()
                                      .getState()
                                  == JobState.JOB_STATE_SUCCEEDED));
      stop.set(true);

      assertThat(unexpected).isEmpty();
      assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(ackedAtKill);
      assertThat(succeeded.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
      for (String id : acknowledged) {
        EventCollector events = new EventCollector();
        b.asyncClient.watchJob(WatchJobRequest.newBuilder().setJobId(id).build(), events);
        assertThat(events.awaitDone()).isTrue();
        Map<String, Long> successes = new HashMap<>();
        for (JobEvent e : events.events) {
          if (e.hasTaskStateChanged()
              && e.getTaskStateChanged().getTo() == TaskState.TASK_STATE_SUCCEEDED) {
            successes.merge(e.getTaskStateChanged().getStage(), 1L, Long::sum);
          }
        }
        assertThat(successes)
            .as("job %s", id)
            .hasSize(5)
            .allSatisfy((stage, n) -> assertThat(n).isEqualTo(1L));
      }
      // The orphan's lease expired and the task was leased again, through B.
      EventCollector orphanEvents = new EventCollector();
      b.asyncClient.watchJob(
          WatchJobRequest.newBuilder().setJobId(orphan.getJobId()).build(), orphanEvents);
      assertThat(orphanEvents.awaitDone()).isTrue();
      assertThat(orphanEvents.events)
          .anySatisfy(
              e -> {
                assertThat(e.getTaskStateChanged().getStage()).isEqualTo(orphan.getStage());
                assertThat(e.getTaskStateChanged().getError().getReason())
                    .isEqualTo("LEASE_EXPIRED");
              });
      assertThat(orphanEvents.events)
          .anySatisfy(
              e -> {
                assertThat(e.getTaskStateChanged().getStage()).isEqualTo(orphan.getStage());
                assertThat(e.getTaskStateChanged().getTo())
                    .isEqualTo(TaskState.TASK_STATE_SUCCEEDED);
                assertThat(e.getTaskStateChanged().getAttempt()).isEqualTo(2);
              });
    } finally {
      pool.shutdownNow();
      replicaA.destroyForcibly();
      channelA.shutdownNow();
    }
  }
}
