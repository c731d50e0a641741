package dev.sandbox4j.linux.internal.rootfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.linux.internal.host.PrivateDirs;
import dev.sandbox4j.linux.internal.plan.HostFacts;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.spi.SandboxSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The holder's script from real plans (the host's /usr, /etc), for both engines: what is mounted how, the
 * symlinks of the root resolved before use, no mount inside the writable workspace, and the symlink guard
 * run for real in a shell. Needs no root.
 */
class ChrootMountScriptTest {
    private Path dir;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("sandbox4j-script-test-");
    }

    @AfterEach
    void tearDown() {
        PrivateDirs.delete(dir);
    }

    private SandboxPlan plan(IsolationPolicy policy, SandboxImage image) {
        SandboxSpec spec = dev.sandbox4j.testkit.TestSpecs.spec("abc123", policy, image, dir, Map.of());
        return SandboxPlan.session(RootfsPolicy.withUid(spec, 65534), HostFacts.current(dir, List.of()));
    }

    private static IsolationPolicy policy() {
        return IsolationPolicy.strict().toBuilder().network(NetworkPolicy.host()).syscalls(SyscallPolicy.allowAll()).build();
    }

    private String script(SandboxPlan plan, MountScript.Engine engine) {
        return MountScript.of(plan, engine, dir.resolve("root"), dir.resolve("empty"),
                Map.of(dir, Path.of("/proc/1/fd/7")), List.of("# prelude"), List.of("# cleanup"));
    }

    @Test
    void chrootRootFromTheHostImage() {
        String s = script(plan(policy(), SandboxImage.host()), MountScript.Engine.CHROOT);
        assertThat(s).contains("mount -t tmpfs -o mode=0755,nosuid,nodev,size=16m sandbox4j-root \"$R\"")
                .contains("mount --bind -o ro,nosuid,nodev '/usr' \"$R\"'/usr'")
                .contains("cd '/proc/1/fd/7' && mount --move . \"$R\"'/workspace'")
                .contains("sandbox4j-tmpfs \"$R\"'/tmp'")
                .contains("mount --bind -o nosuid,noexec /dev/null \"$R\"'/dev/null'")
                .contains("none in a chroot")
                .doesNotContain("-t proc")
                .contains("mount -o remount,bind,ro,nosuid,nodev \"$R\"")
                .contains("# prelude").contains("# cleanup");
        assertThat(s.indexOf("echo " + MountScript.READY)).isLessThan(s.indexOf("read _"));
        assertThat(s.indexOf("read _")).isLessThan(s.indexOf("# cleanup"));
    }

    @Test
    void nspawnGetsMountPointsButNoDeviceNodes() {
        String s = script(plan(policy(), SandboxImage.host()), MountScript.Engine.NSPAWN);
        String batch = s.lines().filter(l -> l.startsWith("mkdir -p ")).findFirst().orElseThrow();
        assertThat(batch).as("the mount points on the root tmpfs, made in one go")
                .contains("\"$R\"'/proc'", "\"$R\"'/sys'", "\"$R\"'/run'", "\"$R\"'/usr'", "\"$R\"'/workspace'");
        assertThat(s).doesNotContain("/dev/null \"$R\"");
    }

    @Test
    void pathsThroughTheRootsSymlinksAreResolvedFirst() throws IOException {
        Path lib = Files.createDirectories(dir.resolve("hostlib"));
        String sub;
        try (var s = Files.list(Path.of("/lib"))) {
            sub = s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().findFirst().orElseThrow();
        }
        String s = script(plan(policy().toBuilder().filesystem(f -> f.readOnly(lib, "/lib/" + sub)).build(),
                SandboxImage.host()), MountScript.Engine.CHROOT);
        if (Files.isSymbolicLink(Path.of("/lib"))) {
            // with a merged /usr, /lib is the link lib -> usr/lib in the root: the mount lands in /usr/lib/<sub>
            assertThat(s).contains("\"$R\"'/usr/lib/" + sub + "'").doesNotContain("\"$R\"'/lib/" + sub + "'");
        } else {
            assertThat(s).contains("\"$R\"'/lib/" + sub + "'");
        }
    }

    @Test
    void noMountInsideTheWritableWorkspace() throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        SandboxPlan p = plan(policy().toBuilder().filesystem(f -> f.readOnly(data, "/workspace/data")).build(),
                SandboxImage.host());
        assertThatThrownBy(() -> script(p, MountScript.Engine.CHROOT)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("/workspace/data").hasMessageContaining("inside the read-write mount /workspace");
    }

    @Test
    void symlinkGuardStopsAtALinkOfTheImage() throws Exception {
        Path root = Files.createDirectories(dir.resolve("guard"));
        Files.createDirectories(root.resolve("etc"));
        Files.createSymbolicLink(root.resolve("etc/passwd"), Path.of("/etc/shadow"));
        String guard = "fail() { echo \"FAIL $1\"; exit 1; }\n" + MountScript.NOLINK + "R=" + Sh.quote(root.toString())
                + "\nnolink /etc/group && echo plain-ok\nnolink /etc/passwd && echo link-ok\n";
        Process p = new ProcessBuilder("/bin/sh", "-c", guard).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("plain-ok").contains("FAIL mount point /etc/passwd: " + root + "/etc/passwd is a symbolic link")
                .doesNotContain("link-ok");
        assertThat(p.exitValue()).isEqualTo(1);
    }

    @Test
    void quotingSurvivesQuotesAndSpaces() {
        assertThat(Sh.quote("a b'c")).isEqualTo("'a b'\\''c'");
        assertThatThrownBy(() -> Sh.quote("a\0b")).isInstanceOf(IllegalArgumentException.class);
    }
}
