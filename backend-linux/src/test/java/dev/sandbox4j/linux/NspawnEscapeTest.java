package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Execution;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Escape attempts against {@code nspawn}, each asserting how it failed: host processes neither traceable
 * nor signalable (not even there), mount and setuid refused, the loopback down with network
 * none, the image read-only, an unbounded fork bomb; credentials from the host side; and nothing left on
 * the host after close() (cgroups, nspawn's cgroup mirrors, mounts, temp dirs).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NspawnEscapeTest {
    private final RootfsTestSupport support = new RootfsTestSupport("nspawn");
    private Path rootfs;

    @BeforeAll
    void gate() throws Exception {
        BackendRequirement.assumeAvailable("nspawn");
        rootfs = RootfsTestSupport.attemptsRootfs("sandbox4j-nspawn-rootfs-", "nspawn");
    }

    @AfterAll
    void cleanup() {
        HostProbes.deleteTree(rootfs);
    }

    /** The strongest nspawn policy: strict without a system-call filter. */
    static IsolationPolicy policy() {
        return IsolationPolicy.strict().toBuilder().syscalls(SyscallPolicy.allowAll()).build();
    }

    private Sandbox inRootfs(IsolationPolicy policy) {
        return support.open(policy, b -> b.image(SandboxImage.directory(rootfs)));
    }

    @Test
    void hostProcessIsNeitherTraceableNorSignalable() throws Exception {
        try (Sandbox s = inRootfs(policy()); HostProbes.HostProcess host = HostProbes.startMarkedSleep()) {
            String pid = Long.toString(host.pid());
            // nspawn's own seccomp baseline allows ptrace only with CAP_SYS_PTRACE, which was dropped
            ExecResult t = s.exec(Command.of("attempts", "ptrace", pid));
            assertThat(t.stdout()).as("%s", t).contains("ptrace(PTRACE_ATTACH): Operation not permitted");
            // and the pid does not even exist in the container's pid namespace
            ExecResult k = s.exec(Command.of("attempts", "kill0", pid));
            assertThat(k.stdout()).as("%s", k).contains("kill(pid, 0): No such process");
            assertThat(host.process().isAlive()).isTrue();
            ExecResult ps = s.exec(Command.shell("cat /proc/[0-9]*/cmdline | tr '\\000' ' '"));
            assertThat(ps.stdout()).contains("cat").doesNotContain(host.token());
        }
    }

    @Test
    void mountAndSetuidAreRefused() {
        // a nested user namespace is not refused under this policy (no system-call filter): the filter is in the contract test
        try (Sandbox s = inRootfs(policy())) {
            assertThat(s.exec(Command.of("attempts", "mount", "/tmp")).stdout()).contains("mount(tmpfs): Operation not permitted");
            assertThat(s.exec(Command.of("attempts", "setuid0")).stdout()).contains("setuid(0): Operation not permitted");
        }
    }

    @Test
    void networkNoneHasOnlyALoopbackThatIsDown() {
        try (Sandbox s = inRootfs(policy().toBuilder().network(NetworkPolicy.none()).build())) {
            assertThat(s.exec(Command.of("ls", "/sys/class/net")).stdout().strip()).isEqualTo("lo");
            assertThat(s.exec(Command.of("cat", "/sys/class/net/lo/operstate")).stdout().strip()).isEqualTo("down");
            ExecResult c = s.exec(Command.of("nc", "-w", "2", "127.0.0.1", "22"));
            assertThat(c.exitCode()).isNotZero();
            assertThat(c.stderr()).containsIgnoringCase("network is unreachable");
        }
        try (Sandbox s = inRootfs(policy().toBuilder().network(NetworkPolicy.loopback()).build())) {
            assertThat(s.exec(Command.of("ls", "/sys/class/net")).stdout().strip()).isEqualTo("lo");
            // the private loopback is up: a server inside answers a client inside
            ExecResult r = s.exec(Command.shell("nc -l -p 7777 -e echo pong & sleep 0.5; echo ping | nc -w 2 127.0.0.1 7777"));
            assertThat(r.stdout()).as("%s %s", r, r.stderr()).contains("pong");
        }
    }

    @Test
    void imageAndRootAreReadOnly() throws Exception {
        try (Sandbox s = inRootfs(policy())) {
            for (String target : List.of("/bin/new-file", "/new-file", "/etc/rootfs-marker")) {
                ExecResult w = s.exec(Command.shell("echo x > " + target));
                assertThat(w.exitCode()).as("write %s: %s", target, w).isNotZero();
                assertThat(w.stderr()).as("how writing %s failed", target).contains("Read-only file system");
            }
            assertThat(s.exec(Command.shell("echo x > /workspace/ok && cat /workspace/ok")).stdout()).isEqualTo("x\n");
        }
        assertThat(Files.readString(rootfs.resolve("etc/rootfs-marker"))).isEqualTo("from the rootfs\n");
        assertThat(Files.exists(rootfs.resolve("bin/new-file"))).isFalse();
        try (var entries = Files.list(rootfs)) {
            assertThat(entries.map(p -> p.getFileName().toString()).sorted().toList())
                    .as("nspawn made no mount point or lock in the rootfs").containsExactly("bin", "etc", "usr");
        }
    }

    @Test
    void credentialsSeenFromTheHost() throws Exception {
        String mark = "nspawn-cred-" + Long.toHexString(System.nanoTime());
        try (Sandbox s = support.open(policy(), b -> b)) {
            String secret = "secret-" + Long.toHexString(System.nanoTime());
            Execution e = s.start(Command.of("sleep", "300").env("SANDBOX4J_MARK", mark).env("API_TOKEN", secret));
            List<Long> pids = RootfsTestSupport.awaitNonEmpty(() -> HostProbes.processesWithEnv("SANDBOX4J_MARK=" + mark),
                    Duration.ofSeconds(20));
            assertThat(pids).as("the sandboxed sleep on the host").hasSize(1);
            assertThat(RootfsTestSupport.commandLinesMentioning(secret)).as("an environment value on a host command line")
                    .isEmpty();
            Map<String, String> status = ChrootEscapeTest.status(pids.get(0));
            String uid = s.exec(Command.of("id", "-u")).stdout().strip();
            assertThat(Long.parseLong(uid)).as("the sandbox's own host uid").isBetween(1879048192L, 1879113727L);
            assertThat(status.get("Uid")).isEqualTo(String.join("\t", uid, uid, uid, uid));
            assertThat(status.get("NoNewPrivs")).isEqualTo("1");
            for (String cap : List.of("CapInh", "CapPrm", "CapEff", "CapAmb", "CapBnd")) {
                assertThat(status.get(cap)).as(cap).isEqualTo("0000000000000000");
            }
            assertThat(status.get("NSpid")).as("a pid namespace of its own").contains("\t");
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
        Sandbox s = support.open(policy(), b -> b);
        String id = s.id();
        assertThat(s.exec(Command.of("true")).exitCode()).isZero();
        Execution running = s.start(Command.of("sleep", "300"));
        assertThat(RootfsTestSupport.hostDirsNamed(id)).as("the sandbox's cgroups and private dir while open").isNotEmpty();
        assertThat(RootfsTestSupport.mountsMentioning(id)).as("its private mount namespace while open").isNotEmpty();
        s.close();
        assertThat(running.await().exitCode()).isNotZero();
        assertThat(RootfsTestSupport.hostDirsNamed(id)).as("cgroups (nspawn's mirrors included) and temp dirs left").isEmpty();
        assertThat(RootfsTestSupport.awaitEmpty(() -> RootfsTestSupport.mountsMentioning(id), Duration.ofSeconds(5)))
                .as("processes whose mount table still shows the sandbox's root").isEmpty();
    }
}
