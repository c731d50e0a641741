package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.BackendUnavailableException;
import dev.sandbox4j.Command;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.SessionLabels;
import dev.sandbox4j.testkit.BackendRequirement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input refused before anything runs, nothing left after close(), the reaper, a missing engine. */
class BubblewrapLifecycleTest {
    private final BwrapTestSupport support = new BwrapTestSupport();

    @TempDir
    Path tmp;

    @BeforeAll
    static void gate() {
        BackendRequirement.assumeAvailable("bubblewrap");
    }

    /** This JVM's sandbox4j host dirs (cgroups, private dirs): a failed build must add none. */
    private static List<Path> ours() {
        return BwrapTestSupport.hostDirsNamed(SessionLabels.current());
    }

    @Test
    void closeLeavesNoCgroupAndNoTempDir() {
        Sandbox s = support.open(TestPolicies.strict());
        assertThat(s.exec(Command.of("true")).exitCode()).isZero();
        List<Path> made = BwrapTestSupport.hostDirsNamed(s.id());
        assertThat(made).as("the private dir while open").anyMatch(p -> p.startsWith(System.getProperty("java.io.tmpdir")));
        if (TestPolicies.cgroups()) {
            assertThat(made).as("cgroups (memory, cpu, pids, unified) while open").anyMatch(p -> p.startsWith("/sys/fs/cgroup"));
        }
        s.close();
        assertThat(BwrapTestSupport.hostDirsNamed(s.id())).as("left after close()").isEmpty();
    }

    @Test
    void aRootfsThatDoesNotExistIsRefused() {
        List<Path> before = ours();
        Path missing = tmp.resolve("no-rootfs");
        assertThatThrownBy(() -> support.open(TestPolicies.strict(), b -> b.image(SandboxImage.directory(missing))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining(missing.toString())
                .hasMessageContaining("does not exist");
        assertThat(ours()).isEqualTo(before);
    }

    @Test
    void aReadWriteFileWhereTheViewHasADirectoryIsRefused() throws IOException {
        List<Path> before = ours();
        Path file = Files.writeString(tmp.resolve("f.txt"), "x");
        // no disk limit: it excludes a read-write mount
        IsolationPolicy p = TestPolicies.strict().toBuilder().limits(l -> l.noDiskLimit())
                .filesystem(fs -> fs.readWrite(file, "/usr/lib")).build();
        assertThatThrownBy(() -> support.open(p)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("is a file but /usr/lib in the sandbox's view is a directory");
        Path missing = tmp.resolve("gone");
        IsolationPolicy q = TestPolicies.strict().toBuilder().limits(l -> l.noDiskLimit())
                .filesystem(fs -> fs.readWrite(missing, "/data")).build();
        assertThatThrownBy(() -> support.open(q)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("does not exist");
        assertThat(ours()).isEqualTo(before);
    }

    @Test
    void aLimitAboveTheHostsHardLimitIsRefused() throws IOException {
        long hard = Files.readAllLines(Path.of("/proc/self/limits")).stream().filter(l -> l.startsWith("Max open files"))
                .map(l -> l.substring("Max open files".length()).trim().split("\\s+")[1])
                .filter(v -> v.matches("\\d+")).mapToLong(Long::parseLong).findFirst().orElse(-1);
        org.junit.jupiter.api.Assumptions.assumeTrue(hard > 0 && hard < Integer.MAX_VALUE, "RLIMIT_NOFILE is unlimited");
        String caps = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("CapEff:")).findFirst().orElseThrow();
        org.junit.jupiter.api.Assumptions.assumeTrue((Long.parseUnsignedLong(caps.substring(7).trim(), 16) & (1L << 24)) == 0,
                "this JVM holds CAP_SYS_RESOURCE and can raise the limit");
        List<Path> before = ours();
        IsolationPolicy p = TestPolicies.strict().toBuilder().limits(l -> l.openFiles((int) hard + 1)).build();
        assertThatThrownBy(() -> support.open(p)).isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("limits.openFiles=" + (hard + 1)).hasMessageContaining("RLIMIT_NOFILE=" + hard);
        assertThat(ours()).isEqualTo(before);
    }

    @Test
    void aMissingBwrapIsReportedWithTheFix() {
        Availability a = new BubblewrapBackend("/nonexistent-dir").probe();
        assertThat(a.available()).isFalse();
        assertThat(a.reason()).contains("bwrap not found");
        assertThat(a.fix()).contains("apt-get install bubblewrap");
        assertThatThrownBy(() -> support.open(TestPolicies.strict(),
                b -> b.option(BubblewrapBackend.OPTION_BWRAP, "/nonexistent-dir/bwrap")))
                .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("bwrap not found")
                .hasMessageContaining("/nonexistent-dir/bwrap").hasMessageContaining("apt-get install bubblewrap");
    }

    @Test
    void theReaperRemovesTheTempDirOfADeadSessionOnly() throws IOException {
        Path root = Path.of(System.getProperty("java.io.tmpdir"));
        Path dead = Files.createDirectory(root.resolve(SessionLabels.NAME_PREFIX + "bwrap-1-1-deadbeef--reaper" + System.nanoTime()));
        Files.writeString(dead.resolve("args-1"), "x");
        Path alive = Files.createDirectory(root.resolve(SessionLabels.hostName("bwrap", "reaper-live-" + System.nanoTime())));
        try {
            List<String> removed = new BubblewrapBackend().reap();
            assertThat(removed).anyMatch(l -> l.contains(dead.toString()));
            assertThat(dead).doesNotExist();
            assertThat(alive).exists();
        } finally {
            Files.deleteIfExists(alive);
        }
    }
}
