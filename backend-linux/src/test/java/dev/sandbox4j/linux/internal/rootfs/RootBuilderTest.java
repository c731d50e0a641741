package dev.sandbox4j.linux.internal.rootfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.linux.internal.host.HostIds;
import dev.sandbox4j.linux.internal.host.LauncherBinary;
import dev.sandbox4j.linux.internal.plan.HostPath;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code s4j-launch --build-root} run for real (root only) with arguments made by hand: the root is built in
 * the holder's own mount namespace and nowhere else, every bind source is verified against its pin (a
 * replaced source or one with a link in it fails the build, naming it), a destination is resolved inside the
 * root (an absolute link of the image cannot lead a mount out of it), the root is read-only, and the holder
 * runs its cleanup when its stdin closes.
 */
class RootBuilderTest {
    private static final SandboxPlan NO_PLAN = new SandboxPlan(List.of(), Map.of());
    private Path dir;
    private Path root;
    private final List<RootHolder> holders = new ArrayList<>();

    @BeforeAll
    static void rootOnly() {
        assumeTrue(HostIds.root(), "the root builder needs root");
    }

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("sandbox4j-rootbuilder-").toRealPath();
        root = Files.createDirectory(dir.resolve("root"));
    }

    @AfterEach
    void tearDown() throws IOException {
        holders.forEach(RootHolder::close);
        dev.sandbox4j.linux.internal.host.PrivateDirs.delete(dir);
    }

    private RootHolder build(List<String> view) {
        return build(view, NO_PLAN);
    }

    private RootHolder build(List<String> view, SandboxPlan plan) {
        List<String> args = new ArrayList<>(List.of("--root", root.toString(), "--net", "host"));
        args.addAll(view);
        RootHolder h = RootHolder.start(LauncherBinary.verifiedPath(), dir.resolve("args-" + holders.size()), args, plan, "test");
        holders.add(h);
        return h;
    }

    private static String pin(Path p) throws IOException {
        return Files.getAttribute(p, "unix:dev") + ":" + Files.getAttribute(p, "unix:ino");
    }

    /** {@code sh -c script} in the holder's mount namespace (as root), its output and status. */
    private static String inHolder(RootHolder h, String script) throws Exception {
        Process p = new ProcessBuilder("nsenter", "--mount=" + h.namespace("mnt"), "--", "sh", "-c", script)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return out + "status " + p.exitValue();
    }

    @Test
    void theRootIsBuiltInTheHoldersNamespaceOnlyAndIsReadOnly() throws Exception {
        Path src = Files.createDirectory(dir.resolve("src"));
        Files.writeString(src.resolve("f"), "pinned\n");
        RootHolder h = build(List.of("--ro-bind", pin(src), src.toString(), "/data", "--tmpfs", "/tmp", "0", "1777",
                "--dev-nodes", "/dev", "--remount-ro", "/"));
        try (var s = Files.list(root)) {
            assertThat(s.toList()).as("the host sees the empty mount point only").isEmpty();
        }
        assertThat(inHolder(h, "cat " + root + "/data/f; ls " + root + "/dev; touch " + root + "/x; touch " + root
                + "/tmp/y && echo tmp-ok"))
                .contains("pinned\n", "full\nnull\nrandom\nurandom\nzero\n", "Read-only file system", "tmp-ok");
        assertThat(inHolder(h, "ls -a " + root)).as("no hiding file is left in the root").doesNotContain(".s4j-hidden");
    }

    @Test
    void aSourceReplacedSinceItWasPinnedIsNotMounted() throws Exception {
        Path src = Files.createDirectory(dir.resolve("src"));
        String pinned = pin(src);
        // another directory in its place (the pinned one is kept, so that its inode cannot be reused meanwhile)
        Path other = Files.createDirectory(dir.resolve("other"));
        Files.move(src, dir.resolve("src.old"));
        Files.move(other, src);
        String[] dev = pinned.split(":");
        SandboxPlan plan = new SandboxPlan(List.of(new Step.BindRw(new HostPath(src, Long.parseLong(dev[0]), Long.parseLong(dev[1]),
                true), "/data", Optional.empty(), Step.Origin.MOUNT)), Map.of());
        assertThatThrownBy(() -> build(List.of("--bind", pinned, src.toString(), "/data"), plan))
                .isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("test: building the sandbox's root file system failed at bind source " + src
                        + ": it was replaced since the sandbox was built (pinned " + pinned)
                .hasMessageContaining("nothing is mounted from it")
                .hasMessageContaining("the policy's mount at /data (host " + src + ") no longer is the directory or file pinned");
    }

    @Test
    void aSourceWithALinkInItIsNotMounted() throws Exception {
        Path real = Files.createDirectories(dir.resolve("real/sub"));
        String pinned = pin(real);
        Files.createSymbolicLink(dir.resolve("link"), dir.resolve("real"));
        Path viaLink = dir.resolve("link/sub");
        assertThatThrownBy(() -> build(List.of("--ro-bind", pinned, viaLink.toString(), "/data")))
                .isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("bind source " + viaLink + ": a component of it is now a symbolic link");
    }

    @Test
    void anAbsoluteLinkOfTheImageLeadsAMountNowhereButInsideTheRoot() throws Exception {
        String target = "/sandbox4j-rootbuilder-" + System.nanoTime();
        assertThat(Path.of(target)).doesNotExist();
        // a link to an absolute path, as a rootfs may have: the root builder resolves it from the root
        RootHolder h = build(List.of("--symlink", target, "/lnk", "--mount-point", target, "--tmpfs", "/lnk/inner", "0", "755"));
        assertThat(inHolder(h, "grep -c ' " + root + target + "/inner ' /proc/self/mountinfo; ls -d " + target + " 2>&1"))
                .as("the tmpfs landed at <root>%s/inner, and nothing was made at the host's %s", target, target)
                .startsWith("1\n").contains("No such file or directory");
        assertThat(Path.of(target)).doesNotExist();
    }

    @Test
    void aLinkThatLeadsNowhereIsNoMountPoint() {
        assertThatThrownBy(() -> build(List.of("--symlink", "/nowhere/at/all", "/lnk", "--tmpfs", "/lnk", "0", "755")))
                .isInstanceOf(SandboxStartException.class).hasMessageContaining("mount point /lnk: a link that leads nowhere");
    }

    @Test
    void operationsOfTheNamespacesLauncherAreRefused() {
        assertThatThrownBy(() -> build(List.of("--proc", "/proc"))).isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("--build-root takes --dev-nodes and --mount-point instead of '--proc'");
        assertThatThrownBy(() -> build(List.of("--remount-ro", "/usr"))).isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("--build-root makes only the root read-only, not '/usr'");
    }

    @Test
    void theHolderCleansUpWhenItsStdinCloses() throws Exception {
        Path cleanup = Files.createDirectories(dir.resolve("cleanup/a/b"));
        RootHolder h = build(List.of("--cleanup-dir", dir.resolve("cleanup").toString()));
        assertThat(h.isAlive()).isTrue();
        assertThat(cleanup).exists();
        h.close();
        assertThat(h.isAlive()).isFalse();
        assertThat(dir.resolve("cleanup")).as("removed, deepest first, at EOF").doesNotExist();
    }
}
