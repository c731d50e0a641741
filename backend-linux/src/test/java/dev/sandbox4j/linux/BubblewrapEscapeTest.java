package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.testkit.BackendRequirement;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Escape attempts against bubblewrap sandboxes; each asserts how the attempt failed. */
class BubblewrapEscapeTest {
    private final BwrapTestSupport support = new BwrapTestSupport();

    @TempDir
    Path tmp;

    @BeforeAll
    static void gate() {
        BackendRequirement.assumeAvailable("bubblewrap");
    }

    private static ExecResult sh(Sandbox s, String script) {
        return s.exec(Command.shell(script));
    }

    private static void assumePython(Sandbox s) {
        assumeTrue(sh(s, "command -v python3").exitCode() == 0, "python3 is not in the host image");
    }

    @Test
    void deniedSystemCallsFailWithEpermAndTheHostPidIsNotThere() throws Exception {
        Process host = new ProcessBuilder("sleep", "60").start();
        try (Sandbox s = support.open(TestPolicies.strict())) {
            assumePython(s);
            ExecResult unshare = sh(s, "unshare -U true");
            assertThat(unshare.exitCode()).isNotZero();
            assertThat(unshare.stderr()).contains("Operation not permitted");
            String mount = "import ctypes, os; c = ctypes.CDLL(None, use_errno=True);"
                    + " r = c.mount(b'none', b'/tmp', b'tmpfs', 0, None); print(r, os.strerror(ctypes.get_errno()))";
            assertThat(s.exec(Command.of("python3", "-c", mount)).stdout().strip()).isEqualTo("-1 Operation not permitted");
            String ptrace = "import ctypes, os; c = ctypes.CDLL(None, use_errno=True);"
                    + " r = c.ptrace(16, " + host.pid() + ", 0, 0); print(r, os.strerror(ctypes.get_errno()))";
            assertThat(s.exec(Command.of("python3", "-c", ptrace)).stdout().strip())
                    .as("PTRACE_ATTACH to host pid %d: the filter answers first", host.pid()).isEqualTo("-1 Operation not permitted");
            ExecResult kill = sh(s, "kill -0 " + host.pid());
            assertThat(kill.exitCode()).isNotZero();
            assertThat(kill.stderr()).containsIgnoringCase("No such process");
        }
        // without the filter the same ptrace still fails: the host pid does not exist in the sandbox
        IsolationPolicy noFilter = TestPolicies.strict().toBuilder().syscalls(SyscallPolicy.allowAll()).build();
        try (Sandbox s = support.open(noFilter)) {
            String ptrace = "import ctypes, os; c = ctypes.CDLL(None, use_errno=True);"
                    + " r = c.ptrace(16, " + host.pid() + ", 0, 0); print(r, os.strerror(ctypes.get_errno()))";
            assertThat(s.exec(Command.of("python3", "-c", ptrace)).stdout().strip()).isEqualTo("-1 No such process");
        } finally {
            host.destroyForcibly();
        }
    }

    @Test
    void theI386AbiCannotBypassTheFilter() throws Exception {
        assumeTrue(System.getProperty("os.arch").equals("amd64"), "x86_64 only");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/gcc")), "gcc is needed to build the int 0x80 probe");
        Path ws = Files.createDirectories(tmp.resolve("ws"));
        Files.writeString(ws.resolve("i386.c"), """
                #include <stdio.h>
                #include <string.h>
                int main(void) {
                    long ret;
                    /* the i386 ABI from a 64-bit process: unshare is 310 there, CLONE_NEWUSER = 0x10000000 */
                    __asm__ volatile ("int $0x80" : "=a"(ret) : "a"(310), "b"(0x10000000) : "memory");
                    printf("i386 unshare: %s\\n", ret < 0 ? strerror((int) -ret) : "ok");
                    return 0;
                }
                """);
        Process cc = new ProcessBuilder("gcc", "-O0", "-o", ws.resolve("i386").toString(), ws.resolve("i386.c").toString())
                .inheritIO().start();
        assertThat(cc.waitFor()).isZero();
        ws.toFile().setWritable(true, false);
        // no disk limit: it excludes a caller's workspace
        IsolationPolicy strict = TestPolicies.strict().toBuilder().limits(l -> l.noDiskLimit()).build();
        try (Sandbox s = support.open(strict, b -> b.workspace(ws))) {
            assertThat(s.exec(Command.of("./i386")).stdout()).isEqualTo("i386 unshare: Operation not permitted\n");
        }
        IsolationPolicy noFilter = strict.toBuilder().syscalls(SyscallPolicy.allowAll()).build();
        try (Sandbox s = support.open(noFilter, b -> b.workspace(ws))) {
            assertThat(s.exec(Command.of("./i386")).stdout()).as("the probe works when nothing filters it")
                    .isEqualTo("i386 unshare: ok\n");
        }
    }

    @Test
    void aServiceOnTheHostsLoopbackIsUnreachableWithNetworkNone() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(300);
            AtomicInteger accepted = new AtomicInteger();
            String connect = "exec 3<>/dev/tcp/127.0.0.1/" + server.getLocalPort() + " && echo connected";
            try (Sandbox s = support.open(TestPolicies.strict())) {
                ExecResult r = s.exec(Command.of("bash", "-c", connect));
                assertThat(r.exitCode()).isNotZero();
                assertThat(r.stderr()).contains("Connection refused");
                assertThat(s.exec(Command.of("cat", "/proc/net/dev")).stdout()).contains("lo:").doesNotContain("eth0");
            }
            accepted.addAndGet(acceptAll(server));
            assertThat(accepted.get()).as("connections the host server accepted from network=none").isZero();
            IsolationPolicy host = TestPolicies.strict().toBuilder().network(NetworkPolicy.host()).build();
            try (Sandbox s = support.open(host)) {
                assertThat(s.exec(Command.of("bash", "-c", connect)).stdout()).as("the probe can connect when allowed")
                        .isEqualTo("connected\n");
            }
            assertThat(acceptAll(server)).isEqualTo(1);
        }
    }

    private static int acceptAll(ServerSocket server) throws IOException {
        int n = 0;
        while (true) {
            try (Socket ignored = server.accept()) {
                n++;
            } catch (SocketTimeoutException e) {
                return n;
            }
        }
    }

    @Test
    void writesToReadOnlyPathsFailWithErofs() throws Exception {
        Path ro = Files.createDirectories(tmp.resolve("ro"));
        Files.writeString(ro.resolve("given.txt"), "given");
        IsolationPolicy p = TestPolicies.strict().toBuilder().filesystem(fs -> fs.readOnly(ro, "/data")).build();
        try (Sandbox s = support.open(p)) {
            assertThat(s.exec(Command.of("cat", "/data/given.txt")).stdout()).isEqualTo("given");
            for (String target : new String[] {"/data/new.txt", "/data/given.txt", "/usr/bin/sandbox4j", "/etc/passwd", "/etc/sandbox4j-new", "/sandbox4j"}) {
                ExecResult r = sh(s, "echo x > " + target);
                assertThat(r.exitCode()).as(target).isNotZero();
                assertThat(r.stderr()).as(target).contains("Read-only file system");
            }
            assertThat(sh(s, "echo x > /workspace/ok.txt && cat /workspace/ok.txt").stdout()).isEqualTo("x\n");
        }
        assertThat(Files.readString(ro.resolve("given.txt"))).isEqualTo("given");
    }

    @Test
    void hiddenPathsAreEmptyAndUnreadable() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(data.resolve("secret.txt"), "top secret");
        Files.writeString(data.resolve("public.txt"), "public");
        IsolationPolicy p = TestPolicies.strict().toBuilder().filesystem(fs -> fs.readOnly(data, "/data")
                .hide("/data/secret.txt").hide("/usr/share/doc")).build();
        try (Sandbox s = support.open(p)) {
            assertThat(s.exec(Command.of("cat", "/data/public.txt")).stdout()).isEqualTo("public");
            ExecResult secret = s.exec(Command.of("cat", "/data/secret.txt"));
            assertThat(secret.exitCode()).isNotZero();
            assertThat(secret.stdout()).isEmpty();
            assertThat(secret.stderr()).contains("Permission denied");
            assertThat(s.exec(Command.of("stat", "-c", "%s %a", "/data/secret.txt")).stdout()).as("empty, mode 0000")
                    .isEqualTo("0 0\n");
            ExecResult doc = s.exec(Command.of("ls", "-A", "/usr/share/doc"));
            assertThat(doc.exitCode()).isNotZero();
            assertThat(doc.stdout()).isEmpty();
            assertThat(doc.stderr()).contains("Permission denied");
            assertThat(sh(s, "cat /usr/share/doc/*/copyright").stdout()).isEmpty();
            assertThat(sh(s, "echo x > /data/secret.txt").stderr()).contains("Read-only file system");
        }
    }

    @Test
    void aDaemonDiesWithItsExecAndNothingOfItSurvivesClose() throws Exception {
        String mark = "bwrap-daemon-" + Long.toHexString(System.nanoTime());
        try (Sandbox s = support.open(TestPolicies.strict())) {
            ExecResult r = s.exec(Command.shell("setsid sh -c 'echo $$ > daemon.pid; exec sleep 300' </dev/null >/dev/null 2>&1 &"
                    + " i=0; while [ ! -s daemon.pid ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; cat daemon.pid")
                    .env("SANDBOX4J_MARK", mark));
            assertThat(r.stdout().strip()).as("the daemon ran (its pid inside)").matches("\\d+");
            assertThat(dev.sandbox4j.testkit.HostProbes.awaitNoProcessWithEnv("SANDBOX4J_MARK=" + mark,
                    java.time.Duration.ofSeconds(5))).as("the exec's pid namespace died with it").isEmpty();
            s.exec(Command.shell("setsid sleep 300 </dev/null >/dev/null 2>&1 & sleep 0.2").env("SANDBOX4J_MARK", mark));
        }
        assertThat(dev.sandbox4j.testkit.HostProbes.awaitNoProcessWithEnv("SANDBOX4J_MARK=" + mark,
                java.time.Duration.ofSeconds(5))).isEmpty();
    }

    @Test
    void aDirectoryImageShowsOnlyTheRootfs() throws Exception {
        Path rootfs = BwrapTestSupport.busyboxRootfs(Files.createDirectories(tmp.resolve("rootfs")));
        IsolationPolicy p = TestPolicies.strict();
        try (Sandbox s = support.open(p, b -> b.image(dev.sandbox4j.SandboxImage.directory(rootfs)))) {
            ExecResult r = s.exec(Command.of("sh", "-c", "cat /etc/rootfs-marker; ls /; id -u; ls /usr 2>&1"));
            assertThat(r.stdout()).startsWith("from the rootfs\n").contains("workspace").contains("65534")
                    .contains("No such file or directory");
            assertThat(s.exec(Command.of("env")).stdout()).as("busybox env is the shim: no PWD")
                    .isEqualTo("HOME=/tmp\nLANG=C.UTF-8\nPATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin\nTERM=dumb\n");
            assertThat(r.stdout()).as("nothing of the host's root").doesNotContain("boot", "home", "root\n");
            assertThat(s.exec(Command.of("no-such-program")).exitCode()).isEqualTo(127);
        }
    }
}
