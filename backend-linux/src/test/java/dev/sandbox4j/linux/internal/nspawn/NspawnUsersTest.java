package dev.sandbox4j.linux.internal.nspawn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.linux.internal.plan.HostFacts;
import dev.sandbox4j.linux.internal.plan.HostPath;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import dev.sandbox4j.linux.internal.host.PrivateDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The user database nspawn resolves --user in: our user first, home "/", the image's users after. */
class NspawnUsersTest {
    private Path dir;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("sandbox4j-users-");
    }

    @AfterEach
    void tearDown() {
        PrivateDirs.delete(dir);
    }

    private static SandboxPlan emptyPlan() {
        return new SandboxPlan(List.of(new Step.RemountRo("/")), Map.of());
    }

    private HostFacts facts() {
        return HostFacts.current(dir, List.of());
    }

    private static HostPath pinned(Path p) throws IOException {
        return new HostPath(p, ((Number) Files.getAttribute(p, "unix:dev")).longValue(),
                ((Number) Files.getAttribute(p, "unix:ino")).longValue(), false);
    }

    @Test
    void hostImageGetsRootAndTheSandboxUserInPlaceOfThePlansOwnFiles() throws IOException {
        Path passwd = dir.resolve("files/etc/passwd");
        Path group = dir.resolve("files/etc/group");
        SandboxPlan plan = new SandboxPlan(List.of(
                new Step.BindRo(HostPath.byName(passwd, false), "/etc/passwd", Optional.empty(), Step.Origin.GENERATED),
                new Step.BindRo(HostPath.byName(group, false), "/etc/group", Optional.empty(), Step.Origin.GENERATED),
                new Step.RemountRo("/")), Map.of(passwd, "old\n"));
        SandboxPlan p = NspawnUsers.apply(plan, facts(), Optional.empty(), 1879048200, 1879048200);
        assertThat(p.generatedFiles().get(passwd))
                .isEqualTo("sandbox4j:x:1879048200:1879048200:sandbox4j:/:/bin/sh\nroot:x:0:0:root:/root:/bin/sh\n");
        assertThat(Files.readString(passwd)).as("written").isEqualTo(p.generatedFiles().get(passwd));
        assertThat(p.generatedFiles().get(group)).isEqualTo("sandbox4j:x:1879048200:\nroot:x:0:\n");
        assertThat(p.steps()).as("the same binds, now by their pins").containsExactly(
                new Step.BindRo(pinned(passwd), "/etc/passwd", Optional.empty(), Step.Origin.GENERATED),
                new Step.BindRo(pinned(group), "/etc/group", Optional.empty(), Step.Origin.GENERATED), new Step.RemountRo("/"));
    }

    @Test
    void directoryImageKeepsItsUsersAndIsOverlaidBeforeTheRootGoesReadOnly() throws IOException {
        Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
        Files.createDirectories(rootfs.resolve("etc"));
        Files.createDirectories(rootfs.resolve("usr/bin"));
        Files.writeString(rootfs.resolve("etc/passwd"), "app:x:100:100::/srv:/bin/sh\n");
        Files.writeString(rootfs.resolve("etc/group"), "app:x:100:\n");
        Path getent = Files.writeString(rootfs.resolve("usr/bin/getent"), "#!/bin/sh\n");
        getent.toFile().setExecutable(true);
        SandboxPlan p = NspawnUsers.apply(emptyPlan(), facts(), Optional.of(rootfs), 1000, 1000);
        assertThat(p.generatedFiles().get(dir.resolve("files/etc/passwd")))
                .isEqualTo("sandbox4j:x:1000:1000:sandbox4j:/:/bin/sh\napp:x:100:100::/srv:/bin/sh\n");
        assertThat(p.steps()).containsExactly(new Step.BindRo(pinned(dir.resolve("files/etc/passwd")), "/etc/passwd",
                Optional.empty(), Step.Origin.GENERATED), new Step.BindRo(pinned(dir.resolve("files/etc/group")),
                "/etc/group", Optional.empty(), Step.Origin.GENERATED), new Step.RemountRo("/"));
    }

    @Test
    void directoryImageWithoutGetentIsRefused() throws IOException {
        Path rootfs = Files.createDirectories(dir.resolve("bare"));
        assertThatThrownBy(() -> NspawnUsers.apply(emptyPlan(), facts(), Optional.of(rootfs), 1000, 1000))
                .isInstanceOf(SandboxStartException.class).hasMessageContaining("/usr/bin/getent")
                .hasMessageContaining(rootfs.toString());
    }
}
