package dev.sandbox4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.spi.Capability;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Escape attempts, each run only when the backend claims the capability that should stop it, in a
 * sandbox whose policy switches that part on. Each asserts how the attempt failed. Not meant to be
 * extended directly: extend {@link SandboxContractTest}.
 */
public abstract class EscapeContract extends HygieneContract {

    @Test
    @DisplayName("FILESYSTEM_VIEW: a host file outside the view is not there inside (No such file)")
    void hostFileOutsideViewInvisible() throws IOException {
        requires(Capability.FILESYSTEM_VIEW);
        Path varTmp = HostProbes.secretFile(Path.of("/var/tmp"), "host secret");
        Path tmp = HostProbes.secretFile(Path.of(System.getProperty("java.io.tmpdir")), "host secret");
        try {
            Sandbox s = newSandbox(b -> b.filesystem(isolatedFilesystem()));
            for (Path secret : List.of(varTmp, tmp)) {
                ExecResult r = s.exec(Command.of("cat", secret.toString()));
                assertThat(r.exitCode()).as("cat %s inside: %s", secret, r).isNotZero();
                assertThat(r.stdout()).doesNotContain("host secret");
                assertThat(r.stderr()).as("how cat %s failed", secret).contains("No such file");
            }
        } finally {
            Files.deleteIfExists(varTmp);
            Files.deleteIfExists(tmp);
        }
    }

    @Test
    @DisplayName("FILESYSTEM_VIEW: a read-only mount is readable, and writing to it fails with Read-only file system")
    void readOnlyMountRefusesWrites() throws IOException {
        requires(Capability.FILESYSTEM_VIEW);
        Path dir = HostProbes.worldWritableDir(Path.of("/var/tmp"), "hello.txt", "hello from the host");
        try {
            Sandbox s = newSandbox(b -> b.filesystem(isolatedFilesystem().toBuilder()
                    .readOnly(dir, "/mnt/sandbox4j-ro").build()));
            assertThat(assertSucceeded(s.exec(Command.of("cat", "/mnt/sandbox4j-ro/hello.txt"))).stdout())
                    .isEqualTo("hello from the host");
            ExecResult w = s.exec(Command.of("touch", "/mnt/sandbox4j-ro/new-file"));
            assertThat(w.exitCode()).as("touch on the read-only mount: %s", w).isNotZero();
            assertThat(w.stderr()).as("how the write failed").contains("Read-only file system");
            ExecResult o = s.exec(Command.shell("echo changed > /mnt/sandbox4j-ro/hello.txt"));
            assertThat(o.exitCode()).isNotZero();
            assertThat(o.stderr()).contains("Read-only file system");
            assertThat(Files.readString(dir.resolve("hello.txt"))).isEqualTo("hello from the host");
            assertThat(Files.exists(dir.resolve("new-file"))).isFalse();
            assertSucceeded(s.exec(Command.of("touch", "workspace-is-writable")));
        } finally {
            HostProbes.deleteTree(dir);
        }
    }

    @Test
    @DisplayName("PID_ISOLATION: a host process is neither listed in /proc nor signalable (kill -0: No such process)")
    void hostProcessesInvisible() throws Exception {
        requires(Capability.PID_ISOLATION);
        ProcessPolicy p = basePolicy().process();
        Sandbox s = newSandbox(b -> b.process(new ProcessPolicy(true, p.uid(), p.noNewPrivileges(), p.dropCapabilities(),
                p.keepCapabilities())));
        try (HostProbes.HostProcess host = HostProbes.startMarkedSleep()) {
            assertThat(HostProbes.commandLine(host.pid())).as("the host probe runs").contains(host.token());
            ExecResult kill = s.exec(Command.shell("kill -0 " + host.pid()));
            ExecResult procfs = s.exec(Command.shell("test -d /proc/" + host.pid() + " && echo present; true"));
            if (!procfs.stdout().contains("present")) {
                assertThat(kill.exitCode()).as("kill -0 <host pid> inside: %s", kill).isNotZero();
                assertThat(kill.stderr()).as("how kill -0 failed (EPERM would mean the process is visible)")
                        .containsIgnoringCase("No such process");
            }
            ExecResult listing = s.exec(Command.shell("cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\000' ' '"));
            if (listing.stdout().isBlank()) {
                Assumptions.abort("/proc is not mounted inside " + backendName()
                        + ": kill -0 was checked, the process listing cannot be");
            }
            assertThat(listing.stdout()).as("the command lines of every process inside").contains("cat")
                    .doesNotContain(host.token());
        }
    }

    @Test
    @DisplayName("NETWORK_NONE: a server on the host's 127.0.0.1 is unreachable (refused or unreachable) and accepts nothing")
    void hostLoopbackUnreachableWithNetworkNone() throws IOException {
        requires(Capability.NETWORK_NONE);
        assertHostLoopbackUnreachable(newSandbox(b -> b.network(NetworkPolicy.none())));
    }

    @Test
    @DisplayName("NETWORK_LOOPBACK: the sandbox's own loopback is not the host's: a host server accepts nothing")
    void hostLoopbackUnreachableWithPrivateLoopback() throws IOException {
        requires(Capability.NETWORK_LOOPBACK);
        assertHostLoopbackUnreachable(newSandbox(b -> b.network(NetworkPolicy.loopback())));
    }

    private void assertHostLoopbackUnreachable(Sandbox s) throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            server.configureBlocking(false);
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            String script = ContractCommands.connectToLoopback(port);
            // control: the same script on the host reaches the server, so a failure inside means isolation
            Process control = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
            String controlOut = new String(control.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int controlExit = waitFor(control);
            assertThat(controlExit).as("the connect script on the host must reach the server: %s", controlOut).isZero();
            try (SocketChannel accepted = server.accept()) {
                assertThat(accepted).as("the host server saw the control connection").isNotNull();
            }
            ExecResult r = s.exec(Command.shell(script));
            if (r.exitCode() == 99 && r.stdout().contains(ContractCommands.NO_TCP_TOOL)) {
                Assumptions.abort("no bash, python3 or nc in the image of " + backendName()
                        + ": cannot try to reach the host's loopback");
            }
            assertThat(r.exitCode()).as("connecting to the host's 127.0.0.1:%d from inside: %s", port, r).isNotZero();
            assertThat(r.stderr()).as("how the connection failed")
                    .containsPattern("(?i)(connection refused|network is unreachable)");
            try (SocketChannel accepted = server.accept()) {
                assertThat(accepted).as("the host server accepted a connection from inside the sandbox").isNull();
            }
        }
    }

    @Test
    @DisplayName("SYSCALL_FILTER: a denied call (unshare) fails with Operation not permitted")
    void syscallFilterDenies() {
        requires(Capability.SYSCALL_FILTER);
        Sandbox errno = newSandbox(b -> b.syscalls(SyscallPolicy.defaultProfile()));
        Command attempt = unshareAttempt(errno);
        ExecResult r = errno.exec(attempt);
        assertThat(r.exitCode()).as("unshare(CLONE_NEWUSER) under the default profile: %s", r).isNotZero();
        assertThat(r.stdout() + r.stderr()).as("how unshare failed").contains("Operation not permitted");
    }

    @Test
    @DisplayName("SYSCALL_FILTER_KILL: a denied call (unshare) under Action.KILL dies of SIGSYS")
    void syscallFilterKills() {
        requires(Capability.SYSCALL_FILTER, Capability.SYSCALL_FILTER_KILL);
        Sandbox kill = newSandbox(b -> b.syscalls(new SyscallPolicy(Set.of("unshare"), SyscallPolicy.Action.KILL)));
        Command attempt = unshareAttempt(kill);
        ExecResult k = kill.exec(attempt);
        assertThat(k.exitCode()).as("unshare under a KILL filter must die of SIGSYS (31): %s", k).isEqualTo(128 + 31);
    }

    private Command unshareAttempt(Sandbox s) {
        if (s.exec(Command.shell("command -v unshare")).exitCode() == 0) {
            return Command.of("unshare", "-U", "true");
        }
        if (s.exec(Command.shell("command -v python3")).exitCode() == 0) {
            return Command.of("python3", "-c", ContractCommands.unshareViaPython());
        }
        return Assumptions.abort("neither unshare nor python3 is in the image of " + backendName()
                + ": cannot attempt a denied system call");
    }

    private static int waitFor(Process p) {
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IllegalStateException("interrupted while waiting for the host control process", e);
        }
    }
}
