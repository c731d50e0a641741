package dev.sandbox4j.linux.internal.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.ResourceLimits;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real cgroups of this host (needs root or a delegated subtree; skipped with the probe's reason otherwise). */
class CgroupSandboxTest {
    @BeforeAll
    static void needsCgroups() {
        assumeTrue(CgroupSandbox.probe().available(), () -> "cgroups: " + CgroupSandbox.probe().reason());
    }

    private static String name() {
        return SessionLabels.hostName("cg", "test-" + UUID.randomUUID().toString().substring(0, 8));
    }

    private static ResourceLimits limits() {
        return ResourceLimits.unlimited().toBuilder().memory(DataSize.ofMiB(64)).cpus(0.5).pids(16).build();
    }

    @Test
    void limitsAreWrittenAndCloseRemovesEveryDirectory() throws Exception {
        CgroupSandbox cg = CgroupSandbox.create("namespaces", name(), limits());
        List<Path> dirs = cg.directories();
        try {
            assertThat(dirs).isNotEmpty().allMatch(Files::isDirectory);
            assertThat(cg.procsFiles()).hasSameSizeAs(dirs).allMatch(Files::exists);
            for (Path d : dirs) {
                if (Files.exists(d.resolve("memory.limit_in_bytes"))) {
                    assertThat(Files.readString(d.resolve("memory.limit_in_bytes")).trim()).isEqualTo(Long.toString(64L << 20));
                }
                if (Files.exists(d.resolve("memory.max"))) {
                    assertThat(Files.readString(d.resolve("memory.max")).trim()).isEqualTo(Long.toString(64L << 20));
                }
                if (Files.exists(d.resolve("pids.max"))) {
                    assertThat(Files.readString(d.resolve("pids.max")).trim()).isEqualTo("16");
                }
                if (Files.exists(d.resolve("cpu.cfs_quota_us"))) {
                    assertThat(Files.readString(d.resolve("cpu.cfs_quota_us")).trim()).isEqualTo("50000");
                }
            }
        } finally {
            cg.close();
        }
        assertThat(dirs).noneMatch(Files::exists);
    }

    @Test
    void aForkBombInTheCgroupHitsThePidsLimitAndKillAllEndsIt() throws Exception {
        try (CgroupSandbox cg = CgroupSandbox.create("namespaces", name(), limits())) {
            StringBuilder join = new StringBuilder();
            cg.procsFiles().forEach(f -> join.append("echo $$ > ").append(f).append("; "));
            // an unbounded bomb: every shell forks two more forever
            Process p = new ProcessBuilder("/bin/sh", "-c", join + "b() { b & b & wait; }; b").start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!cg.pidsLimitHit()) {
                assertThat(System.nanoTime()).as("the bomb never reached pids.max=16").isLessThan(deadline);
                Thread.sleep(20);
            }
            Path members = cg.procsFiles().get(0);
            assertThat(Files.readAllLines(members)).as("bounded by pids.max").hasSizeLessThanOrEqualTo(16);
            cg.killAll();
            assertThat(Files.readAllLines(members)).as("killAll left members").isEmpty();
            assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aSingleThreadedProcessJoinsEveryCgroupThroughTheJoinFilesAndKillAllEndsItsChildren() throws Exception {
        try (CgroupSandbox cg = CgroupSandbox.create("namespaces", name(), limits())) {
            // v1 directories are joined through tasks, a v2 one through cgroup.procs
            assertThat(cg.joinFiles()).hasSameSizeAs(cg.directories()).allMatch(Files::exists)
                    .allMatch(f -> List.of("tasks", "cgroup.procs").contains(f.getFileName().toString()))
                    .allMatch(f -> f.getFileName().toString().equals("cgroup.procs") == Files.exists(f.resolveSibling("cgroup.kill"))
                            || Files.exists(f.resolveSibling("cgroup.freeze")) && f.getFileName().toString().equals("cgroup.procs"));
            // what s4j-launch does: 0 into a v1 tasks file (the writing thread), the pid into cgroup.procs
            StringBuilder join = new StringBuilder();
            cg.joinFiles().forEach(f -> join.append(f.getFileName().toString().equals("tasks") ? "echo 0 > " : "echo $$ > ")
                    .append(f).append("; "));
            Process p = new ProcessBuilder("/bin/sh", "-c", join + "sleep 60 & sleep 60 & wait").start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (Path d : cg.directories()) {
                while (Files.readAllLines(d.resolve("cgroup.procs")).size() < 3) {
                    assertThat(System.nanoTime()).as("the shell and its two children in %s", d).isLessThan(deadline);
                    Thread.sleep(20);
                }
                assertThat(Files.readAllLines(d.resolve("cgroup.procs"))).as(d.toString()).contains(Long.toString(p.pid()));
            }
            cg.killAll();
            for (Path d : cg.directories()) {
                assertThat(Files.readAllLines(d.resolve("cgroup.procs"))).as("killAll left members in %s", d).isEmpty();
            }
            assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aMemoryHogIsOomKilledAndReported() throws Exception {
        try (CgroupSandbox cg = CgroupSandbox.create("namespaces", name(), limits())) {
            StringBuilder join = new StringBuilder();
            cg.procsFiles().forEach(f -> join.append("echo $$ > ").append(f).append("; "));
            Process p = new ProcessBuilder("/bin/sh", "-c", join + "head -c 1073741824 /dev/zero | tail -n 1; exit $?")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("SIGKILL by the OOM killer").isEqualTo(137);
            assertThat(cg.memoryLimitHit()).isTrue();
            assertThat(cg.memoryLimitHit()).as("reported once").isFalse();
            assertThat(cg.peakMemory()).hasValueSatisfying(m -> assertThat(m.bytes()).isLessThanOrEqualTo(64L << 20));
        }
    }

    @Test
    void reapRemovesTheCgroupOfADeadSession() throws IOException {
        Path pidsRoot = CgroupMounts.read().v1Own().get("pids");
        assumeTrue(pidsRoot != null, "no v1 pids hierarchy here");
        // session "1-1-deadbeef": pid 1 did not start at tick 1, so its owner is dead
        Path dead = pidsRoot.resolve(SessionLabels.NAME_PREFIX + "cg-1-1-deadbeef--reaptest" + UUID.randomUUID().toString().substring(0, 6));
        Files.createDirectory(dead);
        Path alive = pidsRoot.resolve(name());
        Files.createDirectory(alive);
        try {
            List<String> removed = CgroupSandbox.reap();
            assertThat(removed).anyMatch(l -> l.contains(dead.toString()) && l.contains("session 1-1-deadbeef"));
            assertThat(dead).doesNotExist();
            assertThat(alive).as("a live session's cgroup is never reaped").exists();
        } finally {
            Files.deleteIfExists(dead);
            Files.deleteIfExists(alive);
        }
    }
}
