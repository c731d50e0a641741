package dev.sandbox4j.container.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The host-side tree kill on host processes of this JVM's own pid namespace (where a process's pid inside is
 * its host pid): the root, its children, and an orphan that kept the root's session all die; a process of
 * another session does not. {@link HostKill#of} takes only a container's init.
 */
class HostKillTest {
    @Test
    @Timeout(60)
    void killsTheRootItsChildrenAndTheOrphansOfItsSessionOnly() throws Exception {
        Process other = new ProcessBuilder("sleep", "60").start();
        // setsid execs sh as a session leader (the JVM's child leads no group); the subshell's sleep is orphaned
        Process root = new ProcessBuilder("setsid", "sh", "-c", "sleep 61 & (sleep 62 &); sleep 63").start();
        List<ProcessHandle> tree = new ArrayList<>();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            ProcessHandle orphan = null;
            while (System.nanoTime() < deadline && (orphan == null || root.descendants().count() < 2)) {
                orphan = ProcessHandle.allProcesses().filter(h -> h.info().command().orElse("").endsWith("sleep")
                        && List.of(h.info().arguments().orElse(new String[0])).equals(List.of("62"))).findFirst().orElse(null);
                Thread.sleep(20);
            }
            assertThat(orphan).as("the orphaned sleep of the root's session").isNotNull();
            root.descendants().forEach(tree::add);
            tree.add(orphan);
            tree.add(root.toHandle());
            String ns = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
            HostKill.Outcome o = HostKill.killTree(new HostKill.Namespace(ProcessHandle.current().pid(), ns), root.pid());
            assertThat(o).isEqualTo(HostKill.Outcome.KILLED);
            assertThat(root.waitFor(10, TimeUnit.SECONDS)).isTrue();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (tree.stream().anyMatch(h -> !dead(h.pid())) && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertThat(tree).as("the tree (killed: gone, or a zombie its new parent has not reaped yet)")
                    .allMatch(h -> dead(h.pid()));
            assertThat(other.isAlive()).as("a process of another session").isTrue();
        } finally {
            tree.forEach(ProcessHandle::destroyForcibly);
            root.destroyForcibly();
            other.destroyForcibly();
        }
    }

    private static boolean dead(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException gone) {
            return true;
        }
    }

    @Test
    void onlyAContainersInitGivesANamespace() {
        assertThat(HostKill.of(ProcessHandle.current().pid(), "/.sandbox4j/init")).as("a JVM is no container's init").isEmpty();
        assertThat(HostKill.of(-1, "/.sandbox4j/init")).isEmpty();
        assertThat(HostKill.field("Name:\tx\nNSpid:\t12\t7\nPPid:\t3\n", "NSpid:")).containsExactly(12L, 7L);
        assertThat(HostKill.field("NSpid:\t5\n", "NSpid:")).containsExactly(5L);
        assertThat(HostKill.field("Name:\tx\n", "NSsid:")).isEmpty();
    }
}
