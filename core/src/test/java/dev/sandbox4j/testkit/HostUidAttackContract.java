package dev.sandbox4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.sandbox4j.Command;
import dev.sandbox4j.Execution;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.spi.Capability;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The sandbox's own host uid: never root, never the shared {@code nobody} (65534), different for two
 * sandboxes open at once (a root JVM; a non-root JVM's sandboxes all run as its own uid, which is asserted
 * and printed instead), so that {@code kill -9 -1} in one spares the other and no host user reaches into a
 * sandbox through {@code /proc/<pid>/root}. The sandbox's processes are found on the host by their exact,
 * unique command line ({@code sleep <unique seconds>}); a backend whose
 * commands run in a guest or user-space kernel has none there, and the host-side rules are then skipped
 * with that reason. Not meant to be extended directly: extend {@link SandboxContractTest}.
 */
public abstract class HostUidAttackContract extends MountSourceAttackContract {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** How long a started command is awaited on the host's /proc. */
    private static final Duration APPEAR = Duration.ofSeconds(20);

    @Test
    @DisplayName("the sandbox's own user inside is not root (id -u, id -g)")
    void ownUserInsideIsNotRoot() {
        requiresIsolation("the sandbox's own user");
        Sandbox s = sandbox();
        requireTool(s, "id", "the sandbox's own user is not root");
        ExecResult r = assertSucceeded(s.exec(Command.shell("id -u; id -g")));
        assertThat(r.stdout().strip().split("\n")).as("uid and gid inside %s", backendName()).doesNotContain("0");
    }

    @Test
    @DisplayName("the sandbox's processes run on the host as its own uid: not 0, not 65534 (a root JVM), or the JVM's uid (a non-root JVM); without RUN_AS_UID, id -u inside prints that host uid")
    void hostProcessesRunAsTheSandboxesOwnUid() throws Exception {
        requiresIsolation("the sandbox's own host uid");
        Sandbox s = newSandbox(basePolicy());
        Marked m = startMarked(s);
        try {
            HostProbes.ProcessIds ids = hostIds(m);
            assertOwnIds(ids, "the command of " + backendName());
            if (!capabilities().contains(Capability.RUN_AS_UID) && s.exec(Command.shell("command -v id")).exitCode() == 0) {
                ExecResult id = assertSucceeded(s.exec(Command.shell("id -u; id -g")));
                assertThat(id.stdout()).as("%s shares the host's ids (no RUN_AS_UID): id -u and id -g inside print the host"
                        + " uid and gid of its processes", backendName())
                        .isEqualTo(ids.uids().get(0) + "\n" + ids.gids().get(0) + "\n");
            }
        } finally {
            m.execution().kill();
        }
    }

    @Test
    @DisplayName("two sandboxes open at once run as different host uids (a root JVM; a non-root JVM: both as the JVM's uid)")
    void concurrentSandboxesRunAsDifferentHostUids() throws Exception {
        requiresIsolation("the sandbox's own host uid");
        Sandbox a = newSandbox(basePolicy());
        Sandbox b = newSandbox(basePolicy());
        Marked ma = startMarked(a);
        Marked mb = startMarked(b);
        try {
            HostProbes.ProcessIds ia = hostIds(ma);
            HostProbes.ProcessIds ib = hostIds(mb);
            assertOwnIds(ia, "sandbox A");
            assertOwnIds(ib, "sandbox B");
            if (HostProbes.jvmIsRoot()) {
                assertThat(ia.uids().get(0)).as("host uid of sandbox A vs sandbox B (%s)", ib).isNotEqualTo(ib.uids().get(0));
                assertThat(ia.gids().get(0)).as("host gid of sandbox A vs sandbox B (%s)", ib).isNotEqualTo(ib.gids().get(0));
            } else {
                System.out.println("[attack] " + backendName() + ": this JVM is not root (uid " + HostProbes.jvmUid()
                        + "): both sandboxes run as its uid, as the kernel lets it map no other (A " + ia + ", B " + ib + ")");
            }
        } finally {
            ma.execution().kill();
            mb.execution().kill();
        }
    }

    @Test
    @DisplayName("PID_ISOLATION: kill -9 -1 in sandbox A (its own pid namespace) leaves a process of sandbox B alive")
    void killAllInOwnPidNamespaceSparesAnotherSandbox() throws Exception {
        requires(Capability.PID_ISOLATION);
        requiresIsolation("kill -9 -1 stays inside the sandbox");
        assertKillAllSparesOther(true);
    }

    @Test
    @DisplayName("kill -9 -1 in sandbox A without pid isolation (a root JVM: A has a host uid of its own) leaves a process of sandbox B alive")
    void killAllWithoutPidIsolationSparesAnotherSandbox() throws Exception {
        requiresIsolation("kill -9 -1 reaches only the sandbox's own uid");
        if (!HostProbes.jvmIsRoot()) {
            Assumptions.abort("this JVM runs as uid " + HostProbes.jvmUid() + ": a sandbox without pid isolation shares"
                    + " its uid, so kill -9 -1 there would kill this JVM; run as root for this rule");
        }
        assertKillAllSparesOther(false);
    }

    private void assertKillAllSparesOther(boolean isolatePids) throws Exception {
        Sandbox b = newSandbox(basePolicy());
        Marked mb = startMarked(b);
        try {
            Sandbox a = newSandbox(b2 -> b2.process(processWithPids(isolatePids)));
            List<Long> bHost = HostProbes.awaitProcessWithCommandLine(mb.commandLine(), APPEAR);
            safeToKillAll(a, isolatePids, bHost);
            // the exec itself may never report back (kill -9 -1 may take a backend's exec agent with it): a short timeout
            ExecResult r = a.exec(Command.shell("kill -9 -1; echo killed-all").timeout(Duration.ofSeconds(15)));
            System.out.println("[attack] " + backendName() + ": kill -9 -1 in A (isolatePids=" + isolatePids + "): " + r);
            assertSurvives(mb, bHost, "kill -9 -1 in sandbox A (isolatePids=" + isolatePids + ")");
            if (!isolatePids && !bHost.isEmpty()) {
                ExecResult direct = a.exec(Command.shell("kill -9 " + bHost.get(0)).timeout(Duration.ofSeconds(60)));
                assertThat(direct.exitCode()).as("kill -9 <host pid of B> from A without pid isolation: %s", direct).isNotZero();
                assertThat(direct.stderr()).as("how kill -9 <host pid of B> failed")
                        .containsPattern("(?i)(operation not permitted|no such process)");
                assertSurvives(mb, bHost, "kill -9 <host pid of B> in sandbox A");
            }
        } finally {
            mb.execution().kill();
        }
    }

    /**
     * Refuses (fails, without firing) a {@code kill -9 -1} that could hit more than the sandbox: without pid
     * isolation A must run as a host uid of its own; with it, A must not see B's host pid nor this JVM.
     */
    private void safeToKillAll(Sandbox a, boolean isolatePids, List<Long> bHost) throws Exception {
        if (isolatePids) {
            long jvm = ProcessHandle.current().pid();
            List<Long> pids = new ArrayList<>(bHost);
            pids.add(jvm);
            for (long pid : pids) {
                // a pid of A's own namespace may have the same number: only B's command or this JVM count
                ExecResult seen = a.exec(Command.shell("if kill -0 " + pid + " 2>/dev/null; then echo signalable;"
                        + " tr '\\000' ' ' < /proc/" + pid + "/cmdline 2>/dev/null; fi; true"));
                String out = seen.stdout();
                if (out.contains("signalable") && (out.contains(mbCommandLine(bHost, pid)) || out.contains("java")
                        || !out.contains(" "))) {
                    fail("sandbox A of %s claims PID_ISOLATION but can signal host pid %d (%s); kill -9 -1 was not tried",
                            backendName(), pid, out.strip());
                }
            }
            return;
        }
        Marked probe = startMarked(a);
        try {
            HostProbes.ProcessIds ids = hostIds(probe);
            int uid = ids.uids().get(0);
            if (uid == 0 || uid == ProcessPolicy.NOBODY || uid == HostProbes.jvmUid()) {
                fail("sandbox A of %s runs as host uid %d (%s), shared with other processes; kill -9 -1 without pid"
                        + " isolation would hit them, so it was not tried", backendName(), uid, ids);
            }
        } finally {
            probe.execution().kill();
        }
    }

    /** The host command line of {@code pid} when it is one of B's, else a string no output contains. */
    private static String mbCommandLine(List<Long> bHost, long pid) {
        return bHost.contains(pid) ? HostProbes.commandLine(pid) : "\u0000never";
    }

    private void assertSurvives(Marked mb, List<Long> bHost, String after) throws Exception {
        try {
            ExecResult ended = mb.execution().onExit().get(3, TimeUnit.SECONDS);
            fail("%s ended the long-running command of sandbox B: %s", after, ended);
        } catch (TimeoutException stillRunning) {
            // B's command still runs
        }
        for (long pid : bHost) {
            assertThat(HostProbes.commandLine(pid)).as("host process %d of sandbox B after %s", pid, after)
                    .isEqualTo(mb.commandLine());
        }
    }

    @Test
    @DisplayName("a host process of another uid (65534, and sandbox B's uid) can neither read nor write /proc/<sandbox process>/root/<workspace> (Permission denied)")
    void procRootUnreachableFromOtherHostUids() throws Exception {
        requiresIsolation("no host user reaches into a sandbox");
        if (!HostProbes.jvmIsRoot() || !HostProbes.hasSetpriv()) {
            Assumptions.abort("running a host process as another uid needs a root JVM and util-linux's setpriv (uid "
                    + HostProbes.jvmUid() + ", setpriv " + (HostProbes.hasSetpriv() ? "present" : "missing") + ")");
        }
        Sandbox a = newSandbox(basePolicy());
        Sandbox b = newSandbox(basePolicy());
        String secret = "secret-" + unique();
        a.files().write(secret, ("sandbox secret " + secret).getBytes(StandardCharsets.UTF_8));
        Marked ma = startMarked(a);
        Marked mb = startMarked(b);
        try {
            long pid = hostPid(ma);
            HostProbes.ProcessIds bIds = hostIds(mb);
            String inside = "/proc/" + pid + "/root" + a.workspacePath();
            // control: root on the host reaches it, so a refusal below is the uid's
            assertThat(Files.readString(Path.of(inside, secret))).as("root reads %s/%s", inside, secret)
                    .isEqualTo("sandbox secret " + secret);
            List<String> reached = new ArrayList<>();
            List<int[]> others = new ArrayList<>();
            others.add(new int[] {ProcessPolicy.NOBODY, ProcessPolicy.NOBODY});
            int aUid = HostProbes.ids(pid).map(i -> i.uids().get(0)).orElse(-1);
            int bUid = bIds.uids().get(0);
            if (bUid != 0 && bUid != aUid && bUid != ProcessPolicy.NOBODY) {
                others.add(new int[] {bUid, bIds.gids().get(0)});
            } else {
                // hostProcessesRunAsTheSandboxesOwnUid and concurrentSandboxesRunAsDifferentHostUids flag such ids
                System.out.println("[attack] " + backendName() + ": sandbox B runs as host uid " + bUid + " (A as " + aUid
                        + "), which is no other sandbox's own uid: only uid 65534 tries /proc/" + pid + "/root");
            }
            for (int[] who : others) {
                String intruder = "intruder-" + who[0];
                HostProbes.HostRun read = HostProbes.runAs(who[0], who[1], "cat", inside + "/" + secret);
                HostProbes.HostRun list = HostProbes.runAs(who[0], who[1], "ls", inside + "/");
                HostProbes.HostRun write = HostProbes.runAs(who[0], who[1], "sh", "-c", "echo x > '" + inside + "/" + intruder + "'");
                for (var e : List.of(new Object[] {"cat", read}, new Object[] {"ls", list}, new Object[] {"write", write})) {
                    HostProbes.HostRun run = (HostProbes.HostRun) e[1];
                    if (run.exitCode() == 0 || !run.output().contains("Permission denied")) {
                        reached.add("uid " + who[0] + " " + e[0] + " " + inside + ": exit " + run.exitCode() + ", " + run.output().strip());
                    }
                }
                assertThat(a.files().exists(intruder)).as("a file written by host uid %d through /proc/%d/root", who[0], pid)
                        .isFalse();
            }
            assertThat(reached).as("host processes of other uids that reached into sandbox A of %s (each must fail with"
                    + " Permission denied)", backendName()).isEmpty();
        } finally {
            ma.execution().kill();
            mb.execution().kill();
        }
    }

    /** A long-running {@code sleep <unique seconds>} in a sandbox, marked in its environment. */
    record Marked(Execution execution, String mark, String commandLine) {
    }

    /** Starts {@code sleep <unique seconds>} with a marker, its output discarded. */
    final Marked startMarked(Sandbox s) {
        String seconds = Integer.toString(100_000 + RANDOM.nextInt(800_000));
        String mark = unique();
        Execution e = s.start(Command.of("sleep", seconds).env(ContractCommands.MARK, mark).timeout(Duration.ofMinutes(10)),
                (stream, chunk) -> { });
        return new Marked(e, mark, "sleep " + seconds);
    }

    /** The host pid of a marked command; aborts when none shows on the host (a guest or user-space kernel). */
    final long hostPid(Marked m) throws InterruptedException {
        List<Long> pids = HostProbes.awaitProcessWithCommandLine(m.commandLine(), APPEAR);
        if (pids.isEmpty()) {
            if (!m.execution().isAlive()) {
                fail("the marked command '%s' of %s ended before its host process was found: %s", m.commandLine(),
                        backendName(), m.execution().onExit().getNow(null));
            }
            Assumptions.abort("no host process runs '" + m.commandLine() + "' (a unique command line) within " + APPEAR.toSeconds()
                    + " s: " + backendName() + " (" + info().isolation() + ") runs commands in a kernel of its own, so"
                    + " the host uid of its processes is not checked by this rule");
        }
        return pids.get(0);
    }

    final HostProbes.ProcessIds hostIds(Marked m) throws InterruptedException {
        long pid = hostPid(m);
        return HostProbes.ids(pid).orElseThrow(() -> new AssertionError("host process " + pid + " of '" + m.commandLine()
                + "' ended while its ids were read"));
    }

    /** A root JVM: no id is 0 or 65534; a non-root JVM: every uid is the JVM's (printed). */
    private void assertOwnIds(HostProbes.ProcessIds ids, String what) {
        if (HostProbes.jvmIsRoot()) {
            assertThat(ids.all()).as("host uids and gids (real, effective, saved, fs) of %s, pid %d: a root JVM gives each"
                    + " sandbox ids of its own, never root's and never nobody's", what, ids.pid())
                    .doesNotContain(0, ProcessPolicy.NOBODY);
        } else {
            System.out.println("[attack] " + backendName() + ": this JVM runs as uid " + HostProbes.jvmUid()
                    + ", so its sandboxes share that uid: " + what + " runs as " + ids);
            assertThat(ids.uids()).as("host uids of %s under a non-root JVM", what).containsOnly(HostProbes.jvmUid());
        }
    }
}
