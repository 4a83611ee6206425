package dev.docmesh.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.docmesh.orchestrator.model.JobRecord;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SQLite under group commit: concurrent changes share one transaction and one fsync, and a failed
 * commit loses exactly its group, tells who wrote it, and refuses to build on what memory holds.
 */
class GroupedWritesTest {
  @TempDir Path dir;

  @Test
  void writesShareOneTransactionUntilTheSyncCommitsThemAll() throws Exception {
    Path file = dir.resolve("orchestrator.db");
    try (SqliteJobStore store = new SqliteJobStore(file, "NORMAL")) {
      GroupCommit gc = new GroupCommit(store, true);
      JobRecord a = JobStoreContract.newJob("a", Map.of(), JobStoreContract.T0);
      JobRecord b = JobStoreContract.newJob("b", Map.of(), JobStoreContract.T0);
      store.insert(a);
      store.insert(b);
      assertThat(store.lastCommit()).isEqualTo(2);
      assertThat(jobsSeenFromOutside(file)).as("before the sync: one open transaction").isZero();
      gc.await();
      assertThat(jobsSeenFromOutside(file)).as("one commit for both").isEqualTo(2);
      // a write refused by the store undoes itself alone; the group goes on
      store.insert(JobStoreContract.newJob("c", Map.of(), JobStoreContract.T0));
      assertThatThrownBy(
              () -> store.insert(JobStoreContract.newJob("c", Map.of(), JobStoreContract.T0)))
          .isInstanceOf(DuplicateRequestException.class);
      gc.await();
      assertThat(jobsSeenFromOutside(file)).isEqualTo(3);
    }
  }

  @Test
  void aReadSeesEveryWriteMadeBeforeIt() {
    try (SqliteJobStore store = new SqliteJobStore(dir.resolve("orchestrator.db"), "NORMAL")) {
      new GroupCommit(store, true);
      JobRecord a = JobStoreContract.newJob("a", Map.of(), JobStoreContract.T0);
      store.insert(a);
      assertThat(store.load(a.id())).isPresent();
      assertThat(store.jobIdForRequest("alice", "a")).contains(a.id());
    }
  }

  @Test
  void aFailedCommitLosesItsGroupOnlyAndItsJobsAreRefusedUntilLoadedAgain() throws Exception {
    Path mnt = Files.createTempDirectory("docmesh-grouped-full");
    Process mount =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt.toString())
            .inheritIO()
            .start();
    Assumptions.assumeTrue(mount.waitFor() == 0, "mount -t tmpfs needs root");
    try (SqliteJobStore store = new SqliteJobStore(mnt.resolve("orchestrator.db"), "NORMAL")) {
      List<Long> lost = new CopyOnWriteArrayList<>();
      List<String> lostJobs = new CopyOnWriteArrayList<>();
      GroupCommit gc = new GroupCommit(store, true);
      store.onLostJobs(lostJobs::addAll);
      JobRecord kept = JobStoreContract.newJob("kept", Map.of(), JobStoreContract.T0);
      store.insert(kept);
      kept.markCommitted(1);
      long keptWrite = store.lastWriteOfThisThread();
      gc.await();

      Path filler = mnt.resolve("filler");
      fill(filler);
      List<JobRecord> group = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 50; i++) {
          JobRecord j =
              JobStoreContract.newJob(
                  "owner" + i, "big" + i, Map.of("pad", "x".repeat(4000)), JobStoreContract.T0);
          store.insert(j);
          group.add(j);
        }
      } catch (StoreException alreadyFull) {
        // SQLite spilled to the full log before the commit: the group is lost there already
      }
      long firstOfGroup = keptWrite + 1;
      gc.after(firstOfGroup, () -> lost.add(-1L)); // an action of a lost write never runs
      assertThatThrownBy(gc::await).isInstanceOf(StoreException.class);
      assertThat(gc.isLost(firstOfGroup, firstOfGroup)).isTrue();
      assertThat(gc.isLost(keptWrite, keptWrite)).as("the earlier commit stands").isFalse();
      assertThat(lostJobs).containsAll(group.stream().map(JobRecord::id).toList());
      assertThat(lost).isEmpty();
      if (!group.isEmpty()) {
        JobRecord stale = group.get(0);
        assertThatThrownBy(() -> store.save(stale))
            .as("memory holds more than the file")
            .isInstanceOf(StoreException.class);
      }

      Files.delete(filler);
      for (JobRecord j : group) {
        assertThat(store.load(j.id())).as("lost, so absent").isEmpty();
      }
      assertThat(store.load(kept.id())).isPresent();
      JobRecord after = JobStoreContract.newJob("after", Map.of(), JobStoreContract.T0);
      store.insert(after);
      gc.await();
      assertThat(store.load(after.id())).isPresent();
    } finally {
      new ProcessBuilder("umount", "-l", mnt.toString()).inheritIO().start().waitFor();
    }
  }

  private static void fill(Path filler) throws IOException {
    try (OutputStream out = Files.newOutputStream(filler)) {
      byte[] kib = new byte[1024];
      while (true) {
        out.write(kib);
      }
    } catch (IOException full) {
      // ENOSPC: the disk is full
    }
  }

  private static int jobsSeenFromOutside(Path file) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM jobs")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
