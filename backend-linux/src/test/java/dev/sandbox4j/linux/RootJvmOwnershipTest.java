package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.linux.internal.host.HostIds;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.testkit.HostProbes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A JVM that runs as root must not lend root's rights to its sandboxes (bubblewrap, namespaces, chroot and
 * nspawn): the sandbox runs as a host uid of its own (from the library's range; inside a user namespace it
 * shows as 65534, where the backend shares the host's ids as that uid itself), so a root-only file it can see stays
 * closed, and although what it writes into the (idmapped) workspace belongs to root on the host, it cannot
 * leave a setuid or setgid bit there: every call that would set one fails with EPERM, through every ABI and
 * fchmodat2, with no syscall filter of the policy's (the set-id guard of the one syscall table is always
 * loaded). The workspace sits below a 0700 directory that no other uid can enter, as a caller's often does.
 */
class RootJvmOwnershipTest {
    /** Each attempt prints "name result"; the i386 one enters through int 0x80 (the binary is static, non-PIE). */
    private static final String PROBE = """
            #define _GNU_SOURCE
            #include <errno.h>
            #include <fcntl.h>
            #include <stdio.h>
            #include <string.h>
            #include <sys/stat.h>
            #include <sys/syscall.h>
            #include <unistd.h>
            static void show(const char *what, long r) { printf("%s %s\\n", what, r < 0 ? strerror(errno) : "ok"); }
            int main(void) {
                struct { unsigned long long flags, mode, resolve; } how = {O_CREAT | O_WRONLY, 04755, 0};
                show("chmod", syscall(SYS_chmod, "f", 04755));
                show("fchmodat", syscall(SYS_fchmodat, AT_FDCWD, "f", 02755));
                show("fchmodat2", syscall(452, AT_FDCWD, "f", 04755, 0));
                int fd = open("f", O_RDONLY);
                show("fchmod", syscall(SYS_fchmod, fd, 06755));
                show("openat-creat", syscall(SYS_openat, AT_FDCWD, "g", O_CREAT | O_WRONLY, 04755));
                show("creat", syscall(SYS_creat, "g", 02755));
                show("openat2", syscall(437, AT_FDCWD, "h", &how, sizeof how));
                show("mknodat", syscall(SYS_mknodat, AT_FDCWD, "n", S_IFREG | 04755, 0));
                show("chmod-plain", syscall(SYS_chmod, "f", 0755));
                long r;
                __asm__ volatile ("int $0x80" : "=a"(r) : "a"(15), "b"("f"), "c"(04755) : "memory");
                printf("i386-chmod %s\\n", r < 0 ? strerror((int) -r) : "ok");
                return 0;
            }
            """;

    @TempDir
    Path tmp;

    @BeforeAll
    static void rootOnly() {
        assumeTrue(HostIds.root(), "the JVM is not root: the sandbox runs as the JVM's user, who gains nothing");
        assumeTrue("amd64".equals(System.getProperty("os.arch")), "the probe enters through the x86 ABIs");
    }

    private Sandbox open(String backend, Path ws) {
        BackendRequirement.assumeAvailable(backend);
        // no policy filter: what stops the calls below is the set-id guard alone (and no disk limit: a caller's workspace)
        IsolationPolicy strict = backend.equals("chroot") ? RootfsSecurityTest.strict("chroot") : TestPolicies.strict();
        IsolationPolicy p = strict.toBuilder().syscalls(SyscallPolicy.allowAll()).limits(l -> l.noDiskLimit()).build();
        return Sandbox.builder().backend(backend).policy(p).workspace(ws).build();
    }

    /** chroot and nspawn make no user namespace: the sandbox's own host uid is its uid inside too. */
    private static boolean sharesHostIds(String backend) {
        return backend.equals("chroot") || backend.equals("nspawn");
    }

    /** A workspace below a directory only root can enter, with the compiled probe in it. */
    private Path workspaceWithProbe() throws Exception {
        Path closed = Files.createDirectory(tmp.resolve("closed"));
        Files.setPosixFilePermissions(closed, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path ws = Files.createDirectory(closed.resolve("ws"));
        Files.writeString(ws.resolve("probe.c"), PROBE);
        Process cc = new ProcessBuilder("gcc", "-O1", "-static", "-no-pie", "-o", ws.resolve("probe").toString(),
                ws.resolve("probe.c").toString()).redirectErrorStream(true).start();
        String out = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(cc.waitFor() == 0, "gcc could not build the probe: " + out);
        Files.writeString(ws.resolve("f"), "");
        return ws;
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "namespaces", "chroot", "nspawn"})
    void noSetuidOrSetgidBitCanBeSetOnWhatTheSandboxStoresAsRoot(String backend) throws Exception {
        Path ws = workspaceWithProbe();
        try (Sandbox s = open(backend, ws)) {
            ExecResult r = s.exec(Command.of("./probe"));
            assertThat(r.exitCode()).as("%s", r.stderr()).isZero();
            assertThat(r.stdout().lines().toList()).containsExactly("chmod Operation not permitted",
                    "fchmodat Operation not permitted", "fchmodat2 Operation not permitted", "fchmod Operation not permitted",
                    "openat-creat Operation not permitted", "creat Operation not permitted",
                    "openat2 Function not implemented", "mknodat Operation not permitted", "chmod-plain ok",
                    "i386-chmod Operation not permitted");
            ExecResult shell = s.exec(Command.shell("cp /bin/true x && chmod u+s x; chmod g+s x"));
            assertThat(shell.stderr()).contains("chmod: changing permissions of 'x': Operation not permitted");
            String own = sharesHostIds(backend) ? s.exec(Command.of("id", "-u")).stdout().strip() : "65534";
            assertThat(s.exec(Command.of("stat", "-c", "%u %a", "x")).stdout()).as("inside: the sandbox user's, no bit")
                    .isEqualTo(own + " 755\n");
        }
        for (String name : List.of("f", "x")) {
            assertThat((Integer) Files.getAttribute(ws.resolve(name), "unix:uid")).as("%s belongs to the JVM's user on the host", name)
                    .isEqualTo(HostIds.uid());
            assertThat((Integer) Files.getAttribute(ws.resolve(name), "unix:mode") & 06000).as("%s: no setuid or setgid bit", name)
                    .isZero();
        }
        assertThat(ws.resolve("g")).as("a creating open with a setuid mode made nothing").doesNotExist();
        assertThat(ws.resolve("n")).doesNotExist();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "namespaces", "chroot", "nspawn"})
    void theSandboxIsAHostUidOfItsOwnAndRootOnlyFilesStayClosed(String backend) throws Exception {
        Path ws = workspaceWithProbe();
        String mark = "root-jvm-" + backend + "-" + Long.toHexString(System.nanoTime());
        try (Sandbox s = open(backend, ws)) {
            ExecResult cad = s.exec(Command.of("cat", "/proc/sys/kernel/cad_pid"));
            assertThat(cad.exitCode()).isNotZero();
            // a chroot has no /proc at all
            assertThat(cad.stderr()).contains(backend.equals("chroot") ? "No such file or directory" : "cad_pid: Permission denied");
            if (Files.isDirectory(Path.of("/etc/ssl/private")) && s.exec(Command.of("test", "-d", "/etc/ssl/private")).exitCode() == 0) {
                ExecResult keys = s.exec(Command.of("ls", "/etc/ssl/private"));
                assertThat(keys.stderr()).as("root:ssl-cert 0710 on the host").contains("Permission denied");
            }
            dev.sandbox4j.Execution e = s.start(Command.of("sleep", "30").env("SANDBOX4J_MARK", mark));
            try {
                List<Long> pids = List.of();
                for (int i = 0; i < 200 && pids.isEmpty(); i++) {
                    pids = HostProbes.processesWithEnv("SANDBOX4J_MARK=" + mark);
                    Thread.sleep(20);
                }
                assertThat(pids).isNotEmpty();
                String uids = Files.readAllLines(Path.of("/proc", Long.toString(pids.get(0)), "status")).stream()
                        .filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow();
                String[] f = uids.split("\\s+");
                assertThat(f).as("real, effective, saved, fs uid on the host: one uid").containsOnly("Uid:", f[1]);
                assertThat(Long.parseLong(f[1])).as("the sandbox's own, from the library's range: not nobody, not root")
                        .isBetween(1879048192L, 1879113727L);
            } finally {
                e.kill();
            }
        }
        assertThat(HostProbes.awaitNoProcessWithEnv("SANDBOX4J_MARK=" + mark, Duration.ofSeconds(5))).isEmpty();
    }
}
