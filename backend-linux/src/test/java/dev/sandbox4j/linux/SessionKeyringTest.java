package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Library;
import com.sun.jna.Native;
import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.testkit.HostProbes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A session keyring is inherited across fork and exec, and whoever possesses it has the possessor's rights to
 * every key in it, whatever the key's owner and whatever user namespace the possessor is in. So every Linux
 * backend gives the command a new anonymous session keyring of the sandbox's user before its seccomp program
 * (s4j-launch: the namespaces launcher's command, the bubblewrap launcher before bwrap, and --guard for chroot
 * and nspawn, whose systemd-nspawn otherwise hands the container a keyring of root's). Here the test JVM puts a
 * key into its own session keyring and a sandbox whose policy lets keyctl through (no syscall filter) tries to
 * read it: the read is refused, and the session keyring inside is the sandbox user's (before the launcher
 * joined a fresh one, the namespaces backend's command read the key).
 */
class SessionKeyringTest {
    /** keyring-probe [SERIAL]: the description of the session keyring, then KEYCTL_READ of SERIAL. */
    private static final String PROBE = """
            #include <errno.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <sys/syscall.h>
            #include <unistd.h>
            int main(int argc, char **argv) {
                char buf[512] = {0};
                long n = syscall(SYS_keyctl, 6 /* DESCRIBE */, -3L /* @s */, buf, sizeof buf - 1, 0);
                printf("session %s\\n", n < 0 ? strerror(errno) : buf);
                if (argc > 1) {
                    memset(buf, 0, sizeof buf);
                    n = syscall(SYS_keyctl, 11 /* READ */, atol(argv[1]), buf, sizeof buf - 1, 0);
                    printf("read %s\\n", n < 0 ? strerror(errno) : buf);
                }
                return 0;
            }
            """;
    private static Path probes;

    /** JNA: add_key(2) into the calling thread's session keyring (made for it when it has none). */
    interface KeyCalls extends Library {
        KeyCalls C = Native.load("c", KeyCalls.class);
        long SYS_ADD_KEY = 248;
        long KEY_SPEC_SESSION_KEYRING = -3;

        long syscall(long number, Object... args);
    }

    @BeforeAll
    static void compileProbe() throws Exception {
        probes = Files.createTempDirectory("sandbox4j-keyring-probe-");
        Files.setPosixFilePermissions(probes, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(probes.resolve("keyring-probe.c"), PROBE);
        Process cc = new ProcessBuilder("gcc", "-O1", "-static", "-o", probes.resolve("keyring-probe").toString(),
                probes.resolve("keyring-probe.c").toString()).redirectErrorStream(true).start();
        String log = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(cc.waitFor() == 0, "gcc could not build the keyring probe: " + log);
    }

    @AfterAll
    static void removeProbe() {
        if (probes != null) {
            HostProbes.deleteTree(probes);
        }
    }

    /** Without a syscall filter, so that keyctl reaches the kernel: what keeps the key from the command is the keyring. */
    private static IsolationPolicy policy(String backend) {
        IsolationPolicy strict = backend.equals("chroot") ? RootfsSecurityTest.strict("chroot") : TestPolicies.strict();
        return strict.toBuilder().syscalls(SyscallPolicy.allowAll()).filesystem(fs -> fs.readOnly(probes, "/probe")).build();
    }

    private static ExecResult ok(ExecResult r) {
        assertThat(r.exitCode()).as("%s%nstdout: %s%nstderr: %s", r, r.stdout(), r.stderr()).isZero();
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap", "chroot", "nspawn"})
    void theCommandPossessesNoKeyOfTheJvm(String backend) throws Exception {
        BackendRequirement.assumeAvailable(backend);
        assumeTrue("amd64".equals(System.getProperty("os.arch")), "add_key is syscall 248 on x86_64");
        String description = "s4jtest-" + UUID.randomUUID();
        byte[] secret = "s4j-key-secret".getBytes(StandardCharsets.UTF_8);
        long serial = KeyCalls.C.syscall(KeyCalls.SYS_ADD_KEY, "user", description, secret, (long) secret.length,
                KeyCalls.KEY_SPEC_SESSION_KEYRING);
        assertThat(serial).as("add_key into this thread's session keyring: errno %s", Native.getLastError()).isPositive();
        // this thread builds the sandbox and starts its execs, so they would inherit that keyring
        try (Sandbox s = Sandbox.builder().backend(backend).policy(policy(backend)).build()) {
            String uid = ok(s.exec(Command.of("id", "-u"))).stdout().strip();
            ExecResult r = ok(s.exec(Command.of("/probe/keyring-probe", Long.toString(serial))));
            Map<String, String> got = r.stdout().lines().filter(l -> l.contains(" "))
                    .collect(Collectors.toMap(l -> l.substring(0, l.indexOf(' ')), l -> l.substring(l.indexOf(' ') + 1)));
            assertThat(got.get("read")).as("KEYCTL_READ of the JVM's key %s: %s", serial, r.stdout()).isEqualTo("Permission denied");
            assertThat(r.stdout()).doesNotContain("s4j-key-secret");
            assertThat(got.get("session")).as("the session keyring inside belongs to the sandbox's user")
                    .startsWith("keyring;" + uid + ";" + uid + ";");
            // a chroot has no /proc; a JVM that is not root shares its own uid with its sandboxes, and a user views
            // the keys it owns (add_key's default permissions let it view, not read, them): possession is what
            // the fresh keyring takes away, and the read above shows it is gone
            if (!backend.equals("chroot") && dev.sandbox4j.linux.internal.host.HostIds.root()) {
                String keys = ok(s.exec(Command.of("cat", "/proc/keys"))).stdout();
                assertThat(keys).as("/proc/keys inside").doesNotContain(description);
                if (backend.equals("nspawn")) { // no user namespace: the owner column is the host's uid, root's 0 included
                    for (String line : keys.lines().toList()) {
                        assertThat(line.strip().split("\\s+")[5]).as("the owner of %s (no key of root's)", line).isEqualTo(uid);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"chroot", "nspawn"})
    void systemdNspawnsRootKeyringAndTheJvmsAreReplacedByAFreshOne(String backend) throws Exception {
        BackendRequirement.assumeAvailable(backend);
        try (Sandbox s = Sandbox.builder().backend(backend).policy(policy(backend)).build()) {
            String uid = ok(s.exec(Command.of("id", "-u"))).stdout().strip();
            assertThat(ok(s.exec(Command.of("/probe/keyring-probe"))).stdout())
                    .as("an anonymous session keyring of the sandbox's own host uid %s", uid)
                    .matches("session keyring;" + uid + ";" + uid + ";[0-9a-f]{8};_ses\n");
        }
    }
}
