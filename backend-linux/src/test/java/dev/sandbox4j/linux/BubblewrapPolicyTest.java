package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.testkit.BackendRequirement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Policy parts the kit does not exercise: loopback, kept capabilities, the permissive preset. */
class BubblewrapPolicyTest {
    private final BwrapTestSupport support = new BwrapTestSupport();

    @BeforeAll
    static void gate() {
        BackendRequirement.assumeAvailable("bubblewrap");
    }

    @Test
    void theLoopbackOfStandardIsUpAndTheSandboxesOwn() {
        try (Sandbox s = support.open(TestPolicies.enforceable(IsolationPolicy.standard()))) {
            assumeTrue(s.exec(Command.shell("command -v python3")).exitCode() == 0, "python3 is not in the host image");
            String echo = "import socket; srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1);"
                    + " c = socket.create_connection(srv.getsockname(), 2); a, _ = srv.accept(); c.sendall(b'ping');"
                    + " print(a.recv(4).decode())";
            ExecResult r = s.exec(Command.of("python3", "-c", echo));
            assertThat(r.stdout()).as("stderr: %s", r.stderr()).isEqualTo("ping\n");
            assertThat(s.exec(Command.of("cat", "/proc/net/dev")).stdout()).contains("lo:").doesNotContain("eth", "ens");
        }
    }

    @Test
    void theHostImageShowsTheHostsEtcDirectoriesWhole() throws Exception {
        // /etc/alternatives sorts before the single files of the /etc view: its bind must not be covered by it
        Path alternatives = Path.of("/etc/alternatives");
        Set<String> host;
        try (var l = Files.list(alternatives)) {
            host = l.map(f -> f.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        } catch (java.io.IOException e) {
            host = Set.of();
        }
        assumeTrue(!host.isEmpty(), "the host has no /etc/alternatives entries");
        try (Sandbox s = support.open(TestPolicies.strict())) {
            ExecResult r = s.exec(Command.of("ls", "-A", "/etc/alternatives"));
            assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
            assertThat(Set.copyOf(r.stdout().lines().toList())).isEqualTo(host);
            assertThat(s.exec(Command.shell("touch /etc/alternatives/x")).stderr()).contains("Read-only file system");
        }
    }

    @Test
    void keptCapabilitiesAreTheOnlyOnes() {
        IsolationPolicy p = TestPolicies.strict().toBuilder().process(new ProcessPolicy(true, OptionalInt.of(65534),
                true, true, Set.of("CAP_NET_BIND_SERVICE"))).build();
        try (Sandbox s = support.open(p)) {
            ExecResult r = s.exec(Command.of("grep", "^CapEff", "/proc/self/status"));
            assertThat(r.stdout().strip()).isEqualTo("CapEff:\t0000000000000400");
        }
    }

    @Test
    void thePermissivePresetRunsInTheHostsFileSystemAsTheSandboxsOwnUser() throws Exception {
        Path marker = Files.createTempFile("sandbox4j-permissive-", ".txt");
        Path closed = Files.createTempFile("sandbox4j-permissive-closed-", ".txt");
        try {
            Files.writeString(marker, "host file");
            Files.setPosixFilePermissions(marker, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            Files.writeString(closed, "the JVM's alone");
            Files.setPosixFilePermissions(closed, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            try (Sandbox s = support.open(IsolationPolicy.permissive())) {
                assertThat(s.exec(Command.of("cat", marker.toString())).stdout()).isEqualTo("host file");
                assertThat(s.exec(Command.of("id", "-u")).stdout().strip()).as("the sandbox's own user, not the JVM's")
                        .isEqualTo("65534");
                if (dev.sandbox4j.linux.internal.host.HostIds.root()) {
                    assertThat(s.exec(Command.of("cat", closed.toString())).stderr()).as("a file only the JVM (root) may read")
                            .contains("Permission denied");
                }
                assertThat(s.workspacePath()).as("no mount point made on the host's real root").isNotEqualTo("/workspace");
                assertThat(s.exec(Command.shell("echo hi > out.txt && cat " + s.workspacePath() + "/out.txt")).stdout())
                        .isEqualTo("hi\n");
                assertThat(s.files().read("out.txt")).isEqualTo("hi\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        } finally {
            Files.deleteIfExists(marker);
            Files.deleteIfExists(closed);
        }
    }

    @Test
    void rlimitsAreSetSoftAndHardByTheShellOrByPrlimit() {
        for (long fsize : new long[] {64L << 20, 1000}) {
            IsolationPolicy p = TestPolicies.strict().toBuilder()
                    .limits(l -> l.fileSize(dev.sandbox4j.DataSize.ofBytes(fsize)).openFiles(100)).build();
            try (Sandbox s = support.open(p)) {
                String limits = s.exec(Command.of("cat", "/proc/self/limits")).stdout();
                assertThat(limits).as("fileSize %d", fsize)
                        .containsPattern("Max file size\\s+" + fsize + "\\s+" + fsize + "\\s+bytes")
                        .containsPattern("Max open files\\s+100\\s+100\\s+files");
                ExecResult raise = s.exec(Command.shell("ulimit -n 200"));
                assertThat(raise.exitCode()).isNotZero();
                assertThat(raise.stderr()).containsIgnoringCase("not permitted");
            }
        }
    }
}
