package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.testkit.HostProbes;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The setuid guard of chroot and nspawn: the workspace is an idmapped mount, so what the sandbox's uid
 * creates there belongs to the host's root on disk, and a set-id bit on it would leave a setuid-root file
 * for any host user who can reach a caller-given workspace. Every way of setting one fails with EPERM
 * inside (the policies have no system-call filter of their own: the guard is always there), the host file
 * keeps no set-id bit while the sandbox is still open, and a plain chmod still works.
 */
class RootfsSetuidGuardTest {
    /** The escape tests' policy, without a disk limit: the workspace is a caller's. */
    private static IsolationPolicy policy(String backend) {
        return (backend.equals("chroot") ? ChrootEscapeTest.policy() : NspawnEscapeTest.policy()).toBuilder()
                .limits(l -> l.noDiskLimit()).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"chroot", "nspawn"})
    void setIdBitsCannotBeSetInACallerGivenWorkspace(String backend) throws Exception {
        BackendRequirement.assumeAvailable(backend);
        Path ws = Files.createTempDirectory("sandbox4j-setuid-ws-");
        try (Sandbox s = new RootfsTestSupport(backend).open(policy(backend), b -> b.workspace(ws))) {
            ExecResult r = s.exec(Command.shell("cp /bin/true x && chmod u+s x; echo suid=$?; chmod g+s x; echo sgid=$?;"
                    + " chmod 4755 x; echo octal=$?; install -m 2755 /bin/true y; echo install=$?;"
                    + " chmod 0705 x && echo plain=$?"));
            assertThat(r.stderr()).as("%s", r).contains("chmod: changing permissions of 'x': Operation not permitted");
            assertThat(r.stdout()).as("%s %s", r, r.stderr()).contains("suid=1", "sgid=1", "octal=1", "plain=0")
                    .doesNotContain("install=0");
            Path x = ws.resolve("x");
            int mode = (Integer) Files.getAttribute(x, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            assertThat(mode & 06000).as("set-id bits of %s on the host, mode %o", x, mode).isZero();
            assertThat(mode & 0777).as("the plain chmod took effect").isEqualTo(0705);
            assertThat((Integer) Files.getAttribute(x, "unix:uid", LinkOption.NOFOLLOW_LINKS))
                    .as("through the idmapping the file is the JVM's user's on disk: why the guard is needed")
                    .isEqualTo(dev.sandbox4j.linux.internal.host.HostIds.uid());
            Path y = ws.resolve("y");
            if (Files.exists(y, LinkOption.NOFOLLOW_LINKS)) {
                assertThat((Integer) Files.getAttribute(y, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 06000).isZero();
            }
        } finally {
            HostProbes.deleteTree(ws);
        }
    }
}
