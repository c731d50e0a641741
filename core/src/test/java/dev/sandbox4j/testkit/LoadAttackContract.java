package dev.sandbox4j.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxEvent;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What a hostile command does to the host's resources and what it can pick up from the host: the disk
 * (limits.disk bounds the workspace and /tmp together, ENOSPC and a {@code limits.disk} violation), timeouts
 * that hold under a fork bomb and a memory hog, and the temp workspace, file descriptors and environment of
 * the host. Not meant to be extended directly: extend {@link SandboxContractTest}.
 */
public abstract class LoadAttackContract extends HostUidAttackContract {
    private static final DataSize DISK = DataSize.ofMiB(16);
    private static final Duration LOAD_TIMEOUT = Duration.ofSeconds(3);
    /**
     * How far past its deadline an exec under a fork bomb or memory hog may return in this kit. The security
     * model asks for 2 s; the kit allows more, since a shared 2-core CI machine (and a VM under TCG) adds
     * its own delays, and prints each measured time so that the 2 s goal can be read off the test output.
     */
    private static final Duration LOAD_SLACK = Duration.ofSeconds(10);

    @Test
    @DisplayName("DISK_LIMIT: 20m written across /tmp and the workspace under a 16m disk limit fails with No space left on device and raises a limits.disk violation (a non-root JVM: that, or build() refuses the limit naming limits.disk)")
    void diskLimitBoundsWorkspaceAndTmpTogether() throws Exception {
        requires(Capability.DISK_LIMIT);
        List<SandboxEvent> events = new CopyOnWriteArrayList<>();
        IsolationPolicy policy = diskPolicy();
        Sandbox s = newDiskSandbox(policy, events);
        requireTool(s, "dd", "the disk limit");
        // a VM's tmpfs paths are in the guest's RAM, bounded by its memory, not on the host: there the limit
        // bounds the workspace, which its file server writes on the host
        boolean guestTmp = info().isolation() == IsolationLevel.VIRTUAL_MACHINE;
        String tmp = policy.filesystem().tmpfs().contains("/tmp") && !guestTmp ? "/tmp" : s.workspacePath();
        String script = "dd if=/dev/zero of=" + tmp + "/fill-a bs=1048576 count=10; a=$?;"
                + " dd if=/dev/zero of=" + s.workspacePath() + "/fill-b bs=1048576 count=10; b=$?;"
                + " ls -ln " + tmp + "/fill-a " + s.workspacePath() + "/fill-b; echo \"a=$a b=$b\"; [ $a -eq 0 ] && [ $b -eq 0 ]";
        ExecResult r = s.exec(Command.shell(script).timeout(Duration.ofMinutes(2)));
        assertThat(r.exitCode()).as("writing 20m under a 16m disk limit: %s%nstdout: %s%nstderr: %s", r, r.stdout(),
                r.stderr()).isNotZero();
        assertThat(r.stderr()).as("how the write failed").contains("No space left on device");
        long written = 0;
        for (String line : r.stdout().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 4 && f[0].startsWith("-")) {
                written += Long.parseLong(f[4]);
            }
        }
        assertThat(written).as("bytes stored in %s/fill-a and the workspace together (%s)", tmp, r.stdout())
                .isLessThanOrEqualTo(DISK.bytes());
        assertThat(SetIdAttackContract.awaitViolation(events, "limits.disk"))
                .as("a limits.disk PolicyViolation for the write that hit the limit (events: %s)", events).isNotEmpty();
        assertSucceeded(s.exec(Command.shell("rm -f " + tmp + "/fill-a " + s.workspacePath() + "/fill-b && echo ok > "
                + s.workspacePath() + "/after")));
    }

    @Test
    @DisplayName("DISK_LIMIT: files().write past a 16m disk limit fails (No space left on device) and leaves the limit in force")
    void diskLimitBoundsTheFilesApi() {
        requires(Capability.DISK_LIMIT);
        Sandbox s = newDiskSandbox(diskPolicy(), new CopyOnWriteArrayList<>());
        byte[] big = new byte[(int) DataSize.ofMiB(20).bytes()];
        assertThatThrownBy(() -> s.files().write("too-big", big)).as("files().write of 20m under a 16m disk limit")
                .isInstanceOf(SandboxException.class)
                .satisfies(e -> assertThat(causes(e)).contains("No space left on device"));
    }

    @Test
    @DisplayName("DISK_LIMIT: a disk limit with a caller's workspace or a read-write mount is refused at build() (UnsupportedPolicyException naming limits.disk)")
    void diskLimitRefusesUnboundableStorage() throws Exception {
        requires(Capability.DISK_LIMIT);
        Path dir = Files.createTempDirectory(Path.of("/var/tmp"), "sandbox4j-contract-disk-");
        try {
            assertThatThrownBy(() -> newSandbox(diskPolicy(), b -> b.workspace(dir)))
                    .as("limits.disk with a caller's workspace").isInstanceOf(UnsupportedPolicyException.class)
                    .hasMessageContaining("limits.disk");
            IsolationPolicy rw = diskPolicy().toBuilder().filesystem(diskPolicy().filesystem().toBuilder()
                    .readWrite(dir, "/mnt/sandbox4j-rw").build()).build();
            assertThatThrownBy(() -> newSandbox(rw)).as("limits.disk with a read-write mount")
                    .isInstanceOf(UnsupportedPolicyException.class).hasMessageContaining("limits.disk");
        } finally {
            HostProbes.deleteTree(dir);
        }
    }

    /**
     * A sandbox with a disk limit. A root JVM's must be built; a non-root JVM's may be refused instead, with
     * UnsupportedPolicyException naming limits.disk (an engine cannot reach the unprivileged storage, which
     * lives in a namespace of the library's own): then the rule ends there, printed.
     */
    private Sandbox newDiskSandbox(IsolationPolicy policy, List<SandboxEvent> events) {
        try {
            return newSandbox(policy, b -> b.listener(events::add));
        } catch (UnsupportedPolicyException refused) {
            if (HostProbes.jvmIsRoot()) {
                throw refused;
            }
            assertThat(refused).as("the refusal of limits.disk under a JVM of uid %d", HostProbes.jvmUid())
                    .hasMessageContaining("limits.disk");
            Assumptions.abort(backendName() + " refuses limits.disk under a JVM of uid " + HostProbes.jvmUid()
                    + " (allowed; a root JVM must enforce it): " + refused.getMessage());
            throw refused;
        }
    }

    /** The base policy with a 16m disk limit and, when the backend has tmpfs, a tmpfs at /tmp (on the same storage). */
    private IsolationPolicy diskPolicy() {
        var fs = isolatedFilesystem();
        if (capabilities().contains(Capability.TMPFS) && !fs.tmpfs().contains("/tmp")) {
            fs = fs.toBuilder().tmpfs("/tmp").build();
        }
        return basePolicy().toBuilder().filesystem(fs).limits(l -> l.disk(DISK)).build();
    }

    private static String causes(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t).append('\n');
        }
        return sb.toString();
    }

    @Test
    @DisplayName("PIDS_LIMIT: a fork bomb under a pids limit with a 3 s timeout comes back timed out, its whole tree gone, the sandbox usable")
    void forkBombTimesOut() throws Exception {
        requires(Capability.PIDS_LIMIT);
        Sandbox s = newSandbox(b -> b.limits(l -> l.pids(64)));
        // the bomb starts in a subshell (one fork, while pids are free); the main shell then spins without forking,
        // so the exec lasts until the timeout whatever the bomb does (dash exits when a fork of its own fails)
        assertTimesOutUnderLoad(s, "bomb() { bomb | bomb & }; ( bomb ) & while :; do :; done", "a fork bomb under pids 64");
    }

    @Test
    @DisplayName("MEMORY_LIMIT: a memory hog looping at a 96m limit with a 3 s timeout comes back timed out, its whole tree gone, the sandbox usable")
    void memoryHogTimesOut() throws Exception {
        requires(Capability.MEMORY_LIMIT);
        Sandbox s = newSandbox(b -> b.limits(l -> l.memory(DataSize.ofMiB(96))));
        requireTool(s, "tail", "a memory hog times out");
        assertTimesOutUnderLoad(s, "while :; do " + ContractCommands.memoryHog() + "; done", "a memory hog at a 96m limit");
    }

    private void assertTimesOutUnderLoad(Sandbox s, String script, String what) throws Exception {
        String mark = unique();
        long t0 = System.nanoTime();
        ExecResult r = s.exec(Command.shell(script).env(ContractCommands.MARK, mark).timeout(LOAD_TIMEOUT));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        System.out.println("[attack] " + backendName() + ": " + what + " with a " + LOAD_TIMEOUT.toSeconds()
                + " s timeout returned after " + took.toMillis() + " ms (" + r + ")");
        assertThat(r.timedOut()).as("%s must end by the timeout: %s%nstderr: %s", what, r, r.stderr()).isTrue();
        assertThat(took).as("time until exec() returned for %s (deadline %s; the model's goal is the deadline + 2 s)",
                what, LOAD_TIMEOUT).isLessThan(LOAD_TIMEOUT.plus(LOAD_SLACK));
        List<Long> left = HostProbes.awaitNoProcessWithEnv(ContractCommands.MARK + "=" + mark, Duration.ofSeconds(10));
        assertThat(left).as("processes of %s still alive on the host after the timeout:%s", what, HostProbes.describe(left))
                .isEmpty();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        ExecResult ok = null;
        while (ok == null || !ok.succeeded()) {
            try {
                ok = s.exec(Command.of("echo", "usable"));
            } catch (ExecException notYet) {
                // spawning may fail while the killed tree still holds its pids
            }
            if ((ok == null || !ok.succeeded()) && System.nanoTime() > deadline) {
                fail("the sandbox is not usable 30 s after %s timed out: %s", what, ok);
            }
            if (ok == null || !ok.succeeded()) {
                Thread.sleep(100);
            }
        }
        if (s.exec(Command.shell("test -d /proc/1")).exitCode() == 0) {
            ExecResult inside = s.exec(Command.shell(ContractCommands.processesWithEnvInside(ContractCommands.MARK + "=" + mark)));
            assertThat(inside.stdout().strip()).as("processes of %s still alive inside the sandbox", what).isEmpty();
        }
    }

    @Test
    @DisplayName("the temp workspace is mode 0700 on the host, and another host uid (65534) can neither list nor read it")
    void tempWorkspaceIsPrivate() throws Exception {
        Sandbox s = newSandbox(basePolicy());
        String marker = "private-" + unique();
        s.files().write(marker, "private".getBytes(UTF_8));
        Path ws = WorkspaceLocator.find(s, marker);
        assertThat(ws).as("the temp workspace holding %s (looked in %s)", marker, WorkspaceLocator.searched(s)).isNotNull();
        assertThat(Integer.toOctalString(HostProbes.mode(ws))).as("mode of the temp workspace %s", ws).isEqualTo("700");
        if (HostProbes.jvmIsRoot() && HostProbes.hasSetpriv()) {
            HostProbes.HostRun list = HostProbes.runAs(ProcessPolicy.NOBODY, ProcessPolicy.NOBODY, "ls", ws.toString());
            HostProbes.HostRun read = HostProbes.runAs(ProcessPolicy.NOBODY, ProcessPolicy.NOBODY, "cat", ws.resolve(marker).toString());
            assertThat(list.exitCode()).as("ls %s as uid 65534: %s", ws, list.output()).isNotZero();
            assertThat(list.output()).contains("Permission denied");
            assertThat(read.exitCode()).as("cat %s/%s as uid 65534: %s", ws, marker, read.output()).isNotZero();
            assertThat(read.output()).contains("Permission denied");
        }
    }

    @Test
    @DisplayName("a host file this JVM holds open is no descriptor of any process inside (readlink /proc/*/fd/*)")
    void heldHostFileIsNoDescriptorInside() throws Exception {
        requiresIsolation("no host descriptor inside");
        Path secret = HostProbes.secretFile(Path.of("/var/tmp"), "held open by the JVM");
        try (FileInputStream held = new FileInputStream(secret.toFile())) {
            Sandbox s = newSandbox(basePolicy());
            requireProc(s, "no host descriptor inside");
            ExecResult r = assertSucceeded(s.exec(Command.shell(
                    "for f in /proc/[0-9]*/fd/*; do l=$(readlink \"$f\" 2>/dev/null) && echo \"$f -> $l\"; done; true")));
            assertThat(r.stdout()).as("descriptors of every process inside (%s held open by the JVM as fd of %s)", secret, held)
                    .doesNotContain(secret.getFileName().toString());
        } finally {
            Files.deleteIfExists(secret);
        }
    }

    @Test
    @DisplayName("the JVM's environment reaches no process inside (SANDBOX4J_TEST is in no /proc/*/environ)")
    void hostEnvironmentInNoProcessInside() {
        requiresIsolation("no host environment inside");
        String value = System.getenv("SANDBOX4J_TEST");
        if (value == null) {
            Assumptions.abort("SANDBOX4J_TEST is not set in this JVM's environment (the build's surefire sets it)");
        }
        Sandbox s = newSandbox(basePolicy());
        requireProc(s, "no host environment inside");
        ExecResult running = s.exec(Command.shell(ContractCommands.processesWithEnvInside("SANDBOX4J_TEST=" + value)
                + "; ls -d /proc/[0-9]* | wc -l"));
        assertThat(running.stdout().lines().filter(l -> l.startsWith("/proc/")).toList())
                .as("processes inside %s whose environment holds the JVM's SANDBOX4J_TEST (%s)", backendName(), running)
                .isEmpty();
    }
}
