package dev.sandbox4j.internal.host;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.spi.PinnedPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A root JVM's private mounts for engines and the disk storage: nosuid, nodev, gone at close and after a crash. */
class StagingTest {
    @TempDir
    Path dir;

    @BeforeEach
    void root() {
        Assumptions.assumeTrue(JvmIds.root(), "private mounts need a root JVM");
        System.setProperty("sandbox4j.runDir", dir.resolve("run").toString());
    }

    @AfterEach
    void reset() {
        System.clearProperty("sandbox4j.runDir");
    }

    private static List<String> mountLines(Path under) throws Exception {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.split(" ")[4].startsWith(under.toString()))
                .toList();
    }

    @Test
    void engineSourcesArePrivateNosuidNodevBindsRemovedAtClose() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("f"), "x");
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().limits(l -> l.noDiskLimit())
                .filesystem(f -> f.readOnly(src, "/data")).build();
        SandboxHosts.Prepared prepared = SandboxHosts.prepare("st1", p, SandboxImage.host(), Optional.empty(), true);
        Path ro;
        Path rw;
        try {
            PinnedPath m = prepared.host().mounts().get(0);
            ro = m.engineSource(true);
            rw = prepared.host().workspace().engineSource(false);
            assertThat(m.engineSource(true)).as("made once").isEqualTo(ro);
            assertThat(ro.toString()).startsWith(dir.resolve("run").toString());
            assertThat(Files.readString(ro.resolve("f"))).isEqualTo("x");
            String roLine = mountLines(ro).get(0);
            assertThat(roLine.split(" ")[5]).contains("ro").contains("nosuid").contains("nodev");
            assertThat(roLine).doesNotContain("shared:");
            assertThat(mountLines(rw).get(0).split(" ")[5]).startsWith("rw").contains("nosuid").contains("nodev");
            assertThat(Files.getAttribute(prepared.workspace(), "unix:mode")).as("temp workspace").isEqualTo(040700);
        } finally {
            prepared.close();
        }
        assertThat(mountLines(dir.resolve("run"))).isEmpty();
        assertThat(Files.exists(ro.getParent())).isFalse();
        dev.sandbox4j.internal.files.TempWorkspace.delete(prepared.workspace());
    }

    @Test
    void theDiskStorageIsOneSizedTmpfsForTheWorkspaceAndEachTmpfsPath() throws Exception {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().limits(l -> l.disk(DataSize.ofMiB(4))).build();
        SandboxHosts.Prepared prepared = SandboxHosts.prepare("st2", p, SandboxImage.host(), Optional.empty(), true);
        try {
            Path ws = prepared.workspace();
            Path tmp = prepared.host().storage().orElseThrow().tmpfsDirs().get(0).path();
            assertThat(ws.getParent()).isEqualTo(tmp.getParent());
            assertThat(Files.getAttribute(tmp, "unix:mode")).isEqualTo(041777);
            String line = mountLines(ws.getParent()).get(0);
            assertThat(line).contains(" tmpfs ").contains("size=4096k");
            assertThat(line.split(" ")[5]).contains("nosuid").contains("nodev");
            Files.write(tmp.resolve("a"), new byte[3 << 20]);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Files.write(ws.resolve("b"), new byte[2 << 20]))
                    .hasMessageContaining("No space left on device");
        } finally {
            dev.sandbox4j.internal.files.TempWorkspace.delete(prepared.workspace());
            prepared.close();
        }
        assertThat(mountLines(dir.resolve("run"))).isEmpty();
    }

    @Test
    void theReaperDetachesAndRemovesWhatADeadSessionLeft() throws Exception {
        Path run = dir.resolve("run");
        // a session id whose pid does not run: "<pid>-<ticks>-<random>"
        Path left = Files.createDirectories(run.resolve("sandbox4j-st-999999999-1-deadbeef--abc"));
        Path storage = Files.createDirectories(left.resolve("storage"));
        assertThat(LibC.INSTANCE.mount("x", storage.toString(), "tmpfs", 0, "size=1m")).isZero();
        Files.writeString(storage.resolve("data"), "left behind");
        assertThat(Staging.reap()).containsExactly("mount directory " + left + " (session 999999999-1-deadbeef)");
        assertThat(mountLines(run)).isEmpty();
        assertThat(Files.exists(left)).isFalse();
    }
}
