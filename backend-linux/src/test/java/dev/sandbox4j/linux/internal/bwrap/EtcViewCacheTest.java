package dev.sandbox4j.linux.internal.bwrap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.linux.internal.plan.HostPath;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import dev.sandbox4j.spi.PinnedPath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared /etc views: shared only by plans whose /etc is the same, never removed while in use. */
class EtcViewCacheTest {
    @TempDir
    Path tmp;

    /** A plan showing the image's file {@code hostFile} at /etc/conf and a generated /etc/passwd. */
    private SandboxPlan plan(Path hostFile, String passwd) {
        Path generated = tmp.resolve("priv-" + passwd.hashCode()).resolve("files/etc/passwd");
        HostPath conf;
        try (PinnedPath pin = PinnedPath.pin(hostFile, "test")) {
            conf = HostPath.of(pin);
        }
        return new SandboxPlan(List.of(new Step.BindRo(conf, "/etc/conf", Optional.empty(), Step.Origin.IMAGE),
                new Step.BindRo(HostPath.byName(generated, false), "/etc/passwd", Optional.empty(), Step.Origin.GENERATED),
                new Step.Symlink("/usr/share/zoneinfo/UTC", "/etc/localtime"), new Step.RemountRo("/")),
                Map.of(generated, passwd));
    }

    @Test
    void theSamePlanSharesOneViewAndItHoldsTheFiles() throws IOException {
        Path conf = Files.writeString(tmp.resolve("conf"), "a=1\n");
        try (EtcViewCache.Lease a = EtcViewCache.acquire(plan(conf, "root:x:0:0\n"), tmp).orElseThrow();
             EtcViewCache.Lease b = EtcViewCache.acquire(plan(conf, "root:x:0:0\n"), tmp).orElseThrow()) {
            assertThat(b.view().dir()).isEqualTo(a.view().dir());
            assertThat(a.view().consolidated()).containsExactlyInAnyOrder("/etc/conf", "/etc/passwd", "/etc/localtime");
            assertThat(a.view().dir().resolve("conf")).hasContent("a=1");
            assertThat(a.view().dir().resolve("passwd")).hasContent("root:x:0:0");
            assertThat(Files.readSymbolicLink(a.view().dir().resolve("localtime"))).isEqualTo(Path.of("/usr/share/zoneinfo/UTC"));
            assertThat(Files.getPosixFilePermissions(a.view().dir().resolve("conf")))
                    .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    @Test
    void anotherGeneratedFileOrAChangedHostFileGetsItsOwnView() throws IOException {
        Path conf = Files.writeString(tmp.resolve("conf"), "a=1\n");
        try (EtcViewCache.Lease first = EtcViewCache.acquire(plan(conf, "root:x:0:0\n"), tmp).orElseThrow();
             EtcViewCache.Lease otherUser = EtcViewCache.acquire(plan(conf, "nobody:x:65534:65534\n"), tmp).orElseThrow()) {
            assertThat(otherUser.view().dir()).isNotEqualTo(first.view().dir());
            assertThat(otherUser.view().dir().resolve("passwd")).hasContent("nobody:x:65534:65534");
            assertThat(first.view().dir().resolve("passwd")).hasContent("root:x:0:0");

            // same size, same modification time set back: the change time and the content still differ
            FileTime mtime = Files.getLastModifiedTime(conf);
            Files.writeString(conf, "a=2\n");
            Files.setLastModifiedTime(conf, mtime);
            try (EtcViewCache.Lease changed = EtcViewCache.acquire(plan(conf, "root:x:0:0\n"), tmp).orElseThrow()) {
                assertThat(changed.view().dir()).isNotEqualTo(first.view().dir());
                assertThat(changed.view().dir().resolve("conf")).hasContent("a=2");
                assertThat(first.view().dir().resolve("conf")).as("a view in use is never changed").hasContent("a=1");
            }
        }
    }

    @Test
    void viewsInUseStayAndOnlyTheOldestUnusedOnesBeyondTheLimitGo() throws IOException {
        Path conf = Files.writeString(tmp.resolve("conf"), "x\n");
        EtcViewCache.Lease held = EtcViewCache.acquire(plan(conf, "held\n"), tmp).orElseThrow();
        List<Path> released = new ArrayList<>();
        for (int i = 0; i < EtcViewCache.IDLE_MAX + 3; i++) {
            try (EtcViewCache.Lease l = EtcViewCache.acquire(plan(conf, "user" + i + "\n"), tmp).orElseThrow()) {
                released.add(l.view().dir());
            }
        }
        assertThat(held.view().dir()).as("in use").isDirectory();
        assertThat(released.subList(0, 3)).as("the oldest unused views").allMatch(p -> !Files.exists(p));
        assertThat(released.subList(3, released.size())).as("the newest unused views").allMatch(Files::isDirectory);
        held.close();
        held.close(); // idempotent
    }

    @Test
    void aViewRemovedFromOutsideIsBuiltAgain() throws IOException {
        Path conf = Files.writeString(tmp.resolve("conf"), "y\n");
        Path dir;
        try (EtcViewCache.Lease a = EtcViewCache.acquire(plan(conf, "gone\n"), tmp).orElseThrow()) {
            dir = a.view().dir();
        }
        dev.sandbox4j.linux.internal.host.PrivateDirs.delete(dir);
        try (EtcViewCache.Lease b = EtcViewCache.acquire(plan(conf, "gone\n"), tmp).orElseThrow()) {
            assertThat(b.view().dir().resolve("conf")).hasContent("y");
        }
    }

    @Test
    void aPlanThatMountsEtcItselfHasNoView() {
        SandboxPlan p = new SandboxPlan(List.of(new Step.BindRo(HostPath.byName(tmp, true), "/etc", Optional.empty(),
                Step.Origin.IMAGE), new Step.RemountRo("/")), Map.of());
        assertThat(EtcViewCache.acquire(p, tmp)).isEmpty();
    }
}
