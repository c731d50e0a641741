package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Execution;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.spi.SessionLabels;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.testkit.ContractCommands;
import dev.sandbox4j.testkit.HostProbes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the namespaces backend's launcher itself guarantees, through the public API with the strict
 * policy: a failure names the launcher's step, the command's process state (seccomp, no new privileges,
 * no capability, its uid on the host), pid 1, the network modes, read-only host knobs, and kills.
 */
class NamespacesLauncherTest {
    @TempDir
    Path tmp;
    private final List<Sandbox> open = new ArrayList<>();

    @BeforeAll
    static void available() {
        BackendRequirement.assumeAvailable(NamespacesBackend.NAME);
    }

    @AfterEach
    void closeAll() {
        open.forEach(Sandbox::close);
    }

    private Sandbox sandbox(IsolationPolicy policy) {
        Sandbox s = Sandbox.builder().backend(NamespacesBackend.NAME).policy(policy).build();
        open.add(s);
        return s;
    }

    private Sandbox strict() {
        return sandbox(TestPolicies.strict());
    }

    /** Strict without its disk limit, which excludes a caller's workspace. */
    private static IsolationPolicy strictWithoutDisk() {
        return TestPolicies.strict().toBuilder().limits(l -> l.noDiskLimit()).build();
    }

    private static ExecResult ok(ExecResult r) {
        assertThat(r.exitCode()).as("%s%nstdout: %s%nstderr: %s", r, r.stdout(), r.stderr()).isZero();
        return r;
    }

    private static Map<String, String> status(String procSelfStatus) {
        return procSelfStatus.lines().filter(l -> l.contains(":"))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf(':')), l -> l.substring(l.indexOf(':') + 1).strip(),
                        (a, b) -> a));
    }

    @Test
    void aLauncherFailureIsAnExecExceptionNamingTheStep() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Sandbox s = sandbox(TestPolicies.strict().toBuilder().filesystem(f -> f.readOnly(data, "/data")).build());
        ok(s.exec(Command.of("ls", "/data")));
        Files.delete(data); // the mount's source vanishes after build(): only the launcher can notice
        assertThatThrownBy(() -> s.exec(Command.of("ls", "/data"))).isInstanceOf(ExecException.class)
                .hasMessageContaining("the launcher failed at bind source " + data
                        + ": resolve it without following links: No such file or directory")
                .hasMessageContaining("(s4j-launch exit 125); nothing ran");
    }

    @Test
    void theCommandRunsUnderSeccompWithNoNewPrivilegesAndNoCapability() {
        Map<String, String> st = status(ok(strict().exec(Command.of("cat", "/proc/self/status"))).stdout());
        assertThat(st).containsEntry("NoNewPrivs", "1").containsEntry("Seccomp", "2")
                .containsEntry("CapInh", "0000000000000000").containsEntry("CapPrm", "0000000000000000")
                .containsEntry("CapEff", "0000000000000000").containsEntry("CapBnd", "0000000000000000")
                .containsEntry("CapAmb", "0000000000000000");
        assertThat(st.get("Uid")).isEqualTo("65534\t65534\t65534\t65534");
    }

    @Test
    void keptCapabilitiesAreTheOnlyOnes() {
        Sandbox s = sandbox(TestPolicies.strict().toBuilder().process(new ProcessPolicy(true,
                OptionalInt.of(ProcessPolicy.NOBODY), true, true, Set.of("CAP_NET_BIND_SERVICE"))).build());
        Map<String, String> st = status(ok(s.exec(Command.of("cat", "/proc/self/status"))).stdout());
        String bit10 = String.format("%016x", 1L << 10);
        assertThat(st).containsEntry("CapEff", bit10).containsEntry("CapPrm", bit10).containsEntry("CapBnd", bit10)
                .containsEntry("CapAmb", bit10);
    }

    @Test
    void pidOneIsTheLaunchersInitAndShowsNoHostPath() {
        Sandbox s = strict();
        ExecResult r = ok(s.exec(Command.shell("tr -d '\\000' < /proc/1/cmdline; echo; readlink /proc/1/exe || echo unreadable")));
        assertThat(r.stdout().lines().toList()).as("pid 1's command line, then where its executable is")
                .containsExactly("s4j-init", "unreadable");
    }

    @Test
    void pidOneReapsOrphans() {
        // the subshell exits at once; its sleep is re-parented to pid 1, which must reap it when it ends
        ExecResult r = ok(strict().exec(Command.shell("(sleep 0.2 &); sleep 1; for f in /proc/[0-9]*/stat; do"
                + " read -r line < $f && echo \"$line\"; done")));
        List<String> states = r.stdout().lines().map(l -> l.substring(l.lastIndexOf(')') + 2, l.lastIndexOf(')') + 3)).toList();
        assertThat(states).as("process states inside: %s", r.stdout()).isNotEmpty().doesNotContain("Z");
    }

    @Test
    void killingAnExecKillsItsWholeNamespaceDaemonsToo() throws Exception {
        Sandbox s = strict();
        String mark = UUID.randomUUID().toString();
        Execution e = s.start(Command.shell("sleep 300 & setsid sh -c 'sleep 301 & sleep 302' </dev/null >/dev/null 2>&1 &"
                + " sleep 303").env(ContractCommands.MARK, mark));
        String entry = ContractCommands.MARK + "=" + mark;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (HostProbes.processesWithEnv(entry).size() < 5 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(HostProbes.processesWithEnv(entry)).as("the shells and the four sleeps, seen from the host")
                .hasSizeGreaterThanOrEqualTo(5);
        e.kill();
        ExecResult r = e.await();
        assertThat(r.exitCode()).isEqualTo(128 + 9);
        assertThat(HostProbes.awaitNoProcessWithEnv(entry, Duration.ofSeconds(5))).isEmpty();
    }

    @Test
    void hostLoopbackErrorTellsTheNetworkMode() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String connect = "bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + server.getLocalPort() + "'";
            ExecResult none = strict().exec(Command.shell(connect));
            assertThat(none.exitCode()).isNotZero();
            assertThat(none.stderr()).as("network=none: the loopback is down").contains("Network is unreachable");
            ExecResult loop = sandbox(TestPolicies.strict().toBuilder().network(NetworkPolicy.loopback()).build())
                    .exec(Command.shell(connect));
            assertThat(loop.exitCode()).isNotZero();
            assertThat(loop.stderr()).as("network=loopback: its own 127.0.0.1, where nothing listens").contains("Connection refused");
        }
    }

    @Test
    void hostWideKnobsAndTheRootAreReadOnlyAndNestedUserNamespacesAreOff() {
        ExecResult r = strict().exec(Command.shell("echo 1 > /proc/sys/vm/drop_caches; touch /new-file;"
                + " cat /proc/sys/user/max_user_namespaces; cat /proc/sys/kernel/cad_pid; true"));
        assertThat(r.stderr()).contains("/proc/sys/vm/drop_caches: Read-only file system")
                .contains("/new-file': Read-only file system").contains("cad_pid: Permission denied");
        assertThat(r.stdout().strip()).as("user.max_user_namespaces inside").isEqualTo("0");
    }

    @Test
    void asRootTheSandboxIsAHostUidOfItsOwnAndTheWorkspaceStaysTheJvms() throws Exception {
        Assumptions.assumeTrue("0".equals(String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))),
                "the JVM is not root: the sandbox runs as the JVM's own uid, nothing is idmapped");
        Path ws = Files.createDirectories(tmp.resolve("ws"));
        Files.setPosixFilePermissions(ws, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Sandbox s = Sandbox.builder().backend(NamespacesBackend.NAME).policy(strictWithoutDisk()).workspace(ws).build();
        open.add(s);
        String mark = UUID.randomUUID().toString();
        Execution e = s.start(Command.of("sleep", "60").env(ContractCommands.MARK, mark));
        String entry = ContractCommands.MARK + "=" + mark;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (HostProbes.processesWithEnv(entry).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        long pid = HostProbes.processesWithEnv(entry).get(0);
        String uid = status(Files.readString(Path.of("/proc", Long.toString(pid), "status"))).get("Uid");
        assertThat(uid.split("\t")).as("the sandboxed process's uids as the host sees them: one, its own")
                .containsOnly(uid.split("\t")[0]);
        assertThat(Long.parseLong(uid.split("\t")[0])).isBetween(1879048192L, 1879113727L);
        e.kill();
        ExecResult r = ok(s.exec(Command.shell("stat -c %u . && echo made > made.txt && stat -c %u made.txt")));
        assertThat(r.stdout().lines().toList()).as("inside, the 0700 workspace and what it writes are its own")
                .containsExactly("65534", "65534");
        Path made = ws.resolve("made.txt");
        assertThat(Files.getAttribute(made, "unix:uid")).as("on the host, the JVM's").isEqualTo(0);
    }

    @Test
    void reapRemovesThePrivateDirectoriesOfDeadJvmsOnly() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path tmpdir = Path.of(System.getProperty("java.io.tmpdir"));
        Path leftover = tmpdir.resolve(SessionLabels.NAME_PREFIX + "ns-" + gone.pid() + "-1-deadbeef--sb1");
        Files.createDirectories(leftover.resolve("files/etc"));
        Files.writeString(leftover.resolve("files/etc/passwd"), "root:x:0:0::/:/bin/sh\n");
        Sandbox live = strict();
        Path mine = tmpdir.resolve(SessionLabels.hostName("ns", live.id()));
        assertThat(mine).as("the live sandbox's private directory").isDirectory();
        List<String> removed = new NamespacesBackend().reap();
        assertThat(removed).anyMatch(l -> l.contains(leftover.toString()));
        assertThat(leftover).doesNotExist();
        assertThat(mine).isDirectory();
        live.close();
        assertThat(mine).as("after close()").doesNotExist();
    }

    @Test
    void asRootNoSetuidOrSetgidFileCanBeLeftInTheWorkspace() throws Exception {
        Assumptions.assumeTrue("0".equals(String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))),
                "the JVM is not root: what the sandbox writes is the JVM user's, a setuid bit gains nothing");
        Path ws = Files.createDirectories(tmp.resolve("ws"));
        Sandbox s = Sandbox.builder().backend(NamespacesBackend.NAME).policy(strictWithoutDisk()).workspace(ws).build();
        open.add(s);
        // written inside as the sandbox's own file, stored on the host as root's: u+s would make it setuid-root
        ExecResult r = s.exec(Command.shell("cp /bin/true x && chmod 755 x && echo plain; chmod u+s x; chmod g+s x;"
                + " umask 0; (exec 3>y) ; ls -l x"));
        assertThat(r.stdout()).contains("plain");
        assertThat(r.stderr()).contains("chmod: changing permissions of 'x': Operation not permitted");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ws.resolve("x")))).isEqualTo("rwxr-xr-x");
        assertThat(Files.getAttribute(ws.resolve("x"), "unix:mode")).as("no setuid or setgid bit on the host")
                .satisfies(m -> assertThat((Integer) m & 06000).isZero());
        assertThat(Files.getAttribute(ws.resolve("x"), "unix:uid")).isEqualTo(0);
    }

    /**
     * Pid 1 exits right after the command; the launcher reaps it. Left to the host's init it stayed a zombie
     * counted against pids.max (this host's init reaps orphans every ~1.5 s), and the 21st quick exec failed
     * at "fork the command: Resource temporarily unavailable".
     */
    @Test
    void manyQuickExecsInOneSandboxNeverRunIntoThePidsLimit() {
        Assumptions.assumeTrue(dev.sandbox4j.linux.internal.cgroup.CgroupSandbox.probe().available(), "cgroups are needed for a pids limit");
        Sandbox s = sandbox(TestPolicies.strict().toBuilder().limits(l -> l.pids(20)).build());
        for (int i = 0; i < 200; i++) {
            ExecResult r = s.exec(Command.of("true"));
            assertThat(r.exitCode()).as("exec %d of true: %s", i, r.stderr()).isZero();
        }
    }
}
