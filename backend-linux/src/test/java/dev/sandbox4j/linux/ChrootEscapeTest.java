package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Execution;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.testkit.HostProbes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Escape attempts against {@code chroot}, each asserting how it failed: the classic chroot escape, a user
 * namespace to regain privileges, mount, ptrace and signals to a host (root) process, writes to the image,
 * an unbounded fork bomb; no-new-privileges, capabilities, the sandbox's own host uid and descriptors read
 * from the host side (a chroot has no /proc inside); and nothing left on the host after close(). The attacks
 * of issue 12 (pins, set-id, keyrings, disk, timeouts, kill -1) are in {@link RootfsSecurityTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChrootEscapeTest {
    private final RootfsTestSupport support = new RootfsTestSupport("chroot");
    private Path rootfs;

    @BeforeAll
    void gate() throws Exception {
        BackendRequirement.assumeAvailable("chroot");
        rootfs = RootfsTestSupport.attemptsRootfs("sandbox4j-chroot-rootfs-", "chroot");
    }

    @AfterAll
    void cleanup() {
        HostProbes.deleteTree(rootfs);
    }

    /** The strongest chroot policy: strict without network, pid isolation and syscall filter. */
    static IsolationPolicy policy() {
        IsolationPolicy strict = IsolationPolicy.strict();
        ProcessPolicy p = strict.process();
        return strict.toBuilder().network(NetworkPolicy.host()).syscalls(SyscallPolicy.allowAll())
                .process(new ProcessPolicy(false, p.uid(), true, true, Set.of())).build();
    }

    private Sandbox inRootfs() {
        return support.open(policy(), b -> b.image(SandboxImage.directory(rootfs)));
    }

    @Test
    void classicChrootEscapeFailsWithEperm() throws Exception {
        Path secret = HostProbes.secretFile(Path.of("/var/tmp"), "host secret outside the root");
        try (Sandbox s = inRootfs()) {
            ExecResult r = s.exec(Command.of("attempts", "chroot-escape", secret.toString()));
            assertThat(r.stdout()).as("%s %s", r, r.stderr()).contains("chroot(escape-dir): Operation not permitted")
                    .doesNotContain("host secret");
            assertThat(r.exitCode()).isZero();
            // the same from the command's own view: it is the sandbox's own host uid (not root, not nobody)
            assertThat(Long.parseLong(s.exec(Command.of("id", "-u")).stdout().strip())).isBetween(1879048192L, 1879113727L);
        } finally {
            Files.deleteIfExists(secret);
        }
    }

    @Test
    void userNamespaceToRegainPrivilegesIsRefused() {
        try (Sandbox s = inRootfs()) {
            ExecResult r = s.exec(Command.of("attempts", "unshare"));
            // the kernel refuses CLONE_NEWUSER to a chrooted process; a new user namespace would allow chroot again
            assertThat(r.stdout()).as("%s", r).contains("unshare(CLONE_NEWUSER|CLONE_NEWNS): Operation not permitted");
            assertThat(r.exitCode()).isZero();
        }
    }

    @Test
    void mountAndSetuidFailWithEperm() {
        try (Sandbox s = inRootfs()) {
            ExecResult m = s.exec(Command.of("attempts", "mount", "/tmp"));
            assertThat(m.stdout()).as("%s", m).contains("mount(tmpfs): Operation not permitted");
            ExecResult u = s.exec(Command.of("attempts", "setuid0"));
            assertThat(u.stdout()).as("%s", u).contains("setuid(0): Operation not permitted");
        }
    }

    @Test
    void hostRootProcessCanBeNeitherTracedNorSignalled() throws Exception {
        try (Sandbox s = inRootfs(); HostProbes.HostProcess host = HostProbes.startMarkedSleep()) {
            String pid = Long.toString(host.pid());
            ExecResult t = s.exec(Command.of("attempts", "ptrace", pid));
            assertThat(t.stdout()).as("%s", t).contains("ptrace(PTRACE_ATTACH): Operation not permitted");
            // no pid namespace: the process exists for the command, but belongs to another uid
            ExecResult k = s.exec(Command.of("attempts", "kill0", pid));
            assertThat(k.stdout()).as("%s", k).contains("kill(pid, 0): Operation not permitted");
            assertThat(host.process().isAlive()).isTrue();
        }
    }

    @Test
    void imageAndRootAreReadOnlyAndProcIsAbsent() throws Exception {
        try (Sandbox s = inRootfs()) {
            for (String target : List.of("/bin/new-file", "/new-file", "/etc/rootfs-marker")) {
                ExecResult w = s.exec(Command.shell("echo x > " + target));
                assertThat(w.exitCode()).as("write %s: %s", target, w).isNotZero();
                assertThat(w.stderr()).as("how writing %s failed", target).contains("Read-only file system");
            }
            ExecResult proc = s.exec(Command.of("ls", "/proc/1"));
            assertThat(proc.exitCode()).isNotZero();
            assertThat(proc.stderr()).contains("No such file");
        }
        assertThat(Files.readString(rootfs.resolve("etc/rootfs-marker"))).isEqualTo("from the rootfs\n");
        assertThat(Files.exists(rootfs.resolve("bin/new-file"))).isFalse();
        assertThat(Files.exists(rootfs.resolve("workspace"))).as("the rootfs itself gets no mount point").isFalse();
    }

    @Test
    void credentialsSeenFromTheHost() throws Exception {
        String mark = "chroot-cred-" + Long.toHexString(System.nanoTime());
        try (Sandbox s = support.open(policy(), b -> b)) {
            String secret = "secret-" + Long.toHexString(System.nanoTime());
            Execution e = s.start(Command.of("sleep", "300").env("SANDBOX4J_MARK", mark).env("API_TOKEN", secret));
            List<Long> pids = RootfsTestSupport.awaitNonEmpty(() -> HostProbes.processesWithEnv("SANDBOX4J_MARK=" + mark),
                    Duration.ofSeconds(10));
            assertThat(pids).as("the sandboxed sleep on the host").hasSize(1);
            assertThat(RootfsTestSupport.commandLinesMentioning(secret)).as("an environment value on a host command line")
                    .isEmpty();
            Map<String, String> status = status(pids.get(0));
            String uid = s.exec(Command.of("id", "-u")).stdout().strip();
            assertThat(Long.parseLong(uid)).as("the sandbox's own host uid").isBetween(1879048192L, 1879113727L);
            assertThat(status.get("Uid")).isEqualTo(String.join("\t", uid, uid, uid, uid));
            assertThat(status.get("Gid")).isEqualTo(String.join("\t", uid, uid, uid, uid));
            assertThat(status.get("Groups")).isEmpty();
            assertThat(status.get("NoNewPrivs")).isEqualTo("1");
            for (String cap : List.of("CapInh", "CapPrm", "CapEff", "CapAmb")) {
                assertThat(status.get(cap)).as(cap).isEqualTo("0000000000000000");
            }
            // setuid, setgid, sys_chroot, sys_ptrace and sys_admin: what nsenter needed; unreachable without new privileges
            assertThat(Long.parseLong(status.get("CapBnd"), 16)).isEqualTo((1L << 6) | (1L << 7) | (1L << 18) | (1L << 19) | (1L << 21));
            try (var fds = Files.list(Path.of("/proc", pids.get(0).toString(), "fd"))) {
                assertThat(fds.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("0", "1", "2");
            }
            e.kill();
        }
    }

    @Test
    void unboundedForkBombIsContainedAndKilled() {
        support.forkBombIsContainedAndKilled(policy(), rootfs);
    }

    @Test
    void setIdBitsInTheWorkspaceAreRefusedAndStrippedAtClose() throws Exception {
        support.setIdBitsAreRefusedAndStrippedAtClose(policy(), rootfs);
    }

    @Test
    void nothingLeftOnTheHostAfterClose() throws Exception {
        Sandbox s = support.open(policy().toBuilder().filesystem(f -> f.tmpfs("/scratch")).build(), b -> b);
        String id = s.id();
        assertThat(s.exec(Command.shell("setsid sh -c 'sleep 300' </dev/null >/dev/null 2>&1 & echo started")).stdout())
                .isEqualTo("started\n");
        assertThat(RootfsTestSupport.hostDirsNamed(id)).as("the sandbox's cgroups and private dir while open").isNotEmpty();
        assertThat(RootfsTestSupport.mountsMentioning(id)).as("its private mount namespace while open").isNotEmpty();
        s.close();
        assertThat(RootfsTestSupport.hostDirsNamed(id)).as("cgroups and temp dirs left after close").isEmpty();
        assertThat(RootfsTestSupport.awaitEmpty(() -> RootfsTestSupport.mountsMentioning(id), Duration.ofSeconds(5)))
                .as("processes whose mount table still shows the sandbox's root").isEmpty();
    }

    static Map<String, String> status(long pid) throws Exception {
        Map<String, String> m = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                m.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return m;
    }
}
