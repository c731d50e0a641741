package dev.sandbox4j.internal.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.SandboxStartException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every sandbox of a root JVM gets a uid no other has; a uid a crashed holder left processes of is not reused. */
class HostIdAllocatorTest {
    @TempDir
    Path run;

    @AfterEach
    void reset() {
        System.clearProperty("sandbox4j.runDir");
        System.clearProperty("sandbox4j.uidRange");
    }

    private void privateRunDir() {
        Assumptions.assumeTrue(JvmIds.root(), "uid leases are for root JVMs");
        System.setProperty("sandbox4j.runDir", run.resolve("run").toString());
    }

    @Test
    void leasesAreDistinctInTheRangeAndEmptiedOnRelease() throws Exception {
        privateRunDir();
        System.setProperty("sandbox4j.uidRange", "1879100000-1879100003");
        List<HostIdAllocator.Lease> leases = List.of(HostIdAllocator.allocate("a"), HostIdAllocator.allocate("b"),
                HostIdAllocator.allocate("c"), HostIdAllocator.allocate("d"));
        assertThat(leases.stream().map(l -> l.ids().uid()).distinct()).hasSize(4)
                .allMatch(u -> u >= 1879100000 && u <= 1879100003);
        assertThat(leases).allMatch(l -> l.ids().own() && l.ids().gid() == l.ids().uid());
        assertThatThrownBy(() -> HostIdAllocator.allocate("e")).isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("no free host uid in 1879100000-1879100003");
        int first = leases.get(0).ids().uid();
        Path file = run.resolve("run/uids/" + first);
        assertThat(Files.readString(file)).contains(" a");
        leases.forEach(HostIdAllocator.Lease::close);
        assertThat(Files.size(file)).isZero();
        assertThat(Files.getAttribute(run.resolve("run/uids"), "unix:mode")).isEqualTo(040700);
    }

    @Test
    void aUidWhoseCrashedHolderLeftAProcessIsNotReused() throws Exception {
        privateRunDir();
        int uid = 1879100010;
        System.setProperty("sandbox4j.uidRange", uid + "-" + uid);
        HostIdAllocator.allocate("probe").close();
        // what a JVM that died holding the uid leaves: a non-empty file, no lock, and a process of the uid
        Files.writeString(run.resolve("run/uids/" + uid), "12-34-dead sandbox\n");
        Process left = new ProcessBuilder("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "sleep", "60").start();
        try {
            assertThatThrownBy(() -> HostIdAllocator.allocate("x")).isInstanceOf(SandboxStartException.class)
                    .hasMessageContaining("no free host uid");
        } finally {
            left.destroyForcibly();
            left.waitFor(10, TimeUnit.SECONDS);
        }
        try (HostIdAllocator.Lease l = HostIdAllocator.allocate("y")) {
            assertThat(l.ids().uid()).as("reused once nothing runs as it").isEqualTo(uid);
        }
    }

    @Test
    void aMalformedRangeIsRefusedWithTheForm() {
        for (String bad : List.of("1-2", "2000000-1000000", "x", "1879048192-2147483647")) {
            System.setProperty("sandbox4j.uidRange", bad);
            assertThatThrownBy(HostIdAllocator::range).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("is not FIRST-LAST");
        }
    }

    @Test
    void anUnprivilegedJvmUsesItsOwnIds() {
        HostIdAllocator.Lease l = HostIdAllocator.jvmIds();
        assertThat(l.ids().uid()).isEqualTo(JvmIds.uid());
        assertThat(l.ids().own()).isFalse();
        l.close();
    }
}
