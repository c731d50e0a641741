package dev.sandbox4j.internal.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** The sweep clears set-id bits under a tree, follows no link out of it, and gives files back when asked. */
@EnabledOnOs(OS.LINUX)
class SetIdSweepTest {
    @TempDir
    Path dir;

    private static int mode(Path p) throws Exception {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    private static Path file(Path p, int mode) throws Exception {
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[] {1});
        Files.setAttribute(p, "unix:mode", mode);
        return p;
    }

    @Test
    void clearsSetuidAndSetgidDeepInTheTreeAndNothingElse() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("ws"));
        Path suid = file(tree.resolve("a/b/c/suid"), 04755);
        Path sgid = file(tree.resolve("sgid"), 02711);
        Path plain = file(tree.resolve("a/plain"), 0755);
        Path sticky = Files.createDirectories(tree.resolve("tmp"));
        Files.setAttribute(sticky, "unix:mode", 01777);
        try (PinnedPathImpl p = Pins.pin(tree, "workspace")) {
            SetIdSweep.Result r = SetIdSweep.sweep(p, OptionalInt.empty(), 0, 0);
            assertThat(r.stripped()).isEqualTo(2);
            assertThat(r.failed()).isZero();
        }
        assertThat(mode(suid)).isEqualTo(0755);
        assertThat(mode(sgid)).isEqualTo(0711);
        assertThat(mode(plain)).isEqualTo(0755);
        assertThat(mode(sticky)).as("a directory keeps its sticky bit").isEqualTo(01777);
    }

    @Test
    void followsNoLinkOutOfTheTree() throws Exception {
        Path outside = file(dir.resolve("outside/victim"), 04755);
        Path tree = Files.createDirectories(dir.resolve("ws"));
        Files.createSymbolicLink(tree.resolve("to-file"), outside);
        Files.createSymbolicLink(tree.resolve("to-dir"), outside.getParent());
        try (PinnedPathImpl p = Pins.pin(tree, "workspace")) {
            assertThat(SetIdSweep.sweep(p, OptionalInt.empty(), 0, 0).stripped()).isZero();
        }
        assertThat(mode(outside)).isEqualTo(04755);
    }

    @Test
    void givesTheSandboxsFilesBackToTheOwnerWhenRoot() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(JvmIds.root(), "chown to another uid needs a root JVM");
        Path tree = Files.createDirectories(dir.resolve("ws"));
        Path made = file(tree.resolve("sub/made"), 0644);
        Path other = file(tree.resolve("other"), 0644);
        int sandbox = 1879113000;
        for (Path p : new Path[] {made, made.getParent()}) {
            Files.setAttribute(p, "unix:uid", sandbox, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:gid", sandbox, LinkOption.NOFOLLOW_LINKS);
        }
        Files.setAttribute(other, "unix:uid", 4242, LinkOption.NOFOLLOW_LINKS);
        try (PinnedPathImpl p = Pins.pin(tree, "workspace")) {
            assertThat(SetIdSweep.sweep(p, OptionalInt.of(sandbox), 1000, 1001).chowned()).isEqualTo(2);
        }
        assertThat(Files.getAttribute(made, "unix:uid")).isEqualTo(1000);
        assertThat(Files.getAttribute(made, "unix:gid")).isEqualTo(1001);
        assertThat(Files.getAttribute(made.getParent(), "unix:uid")).isEqualTo(1000);
        assertThat(Files.getAttribute(other, "unix:uid")).as("not the sandbox's").isEqualTo(4242);
    }
}
