package dev.sandbox4j.internal.files;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.internal.ReaperImpl;
import dev.sandbox4j.spi.SessionLabels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** The private temp workspace: its name and mode, a delete that never follows links, and the reaper. */
@EnabledOnOs(OS.LINUX)
class TempWorkspaceTest {
    @TempDir
    Path tmp;

    @Test
    void isNamedForTheReaperMode0700AndDeletedWithoutFollowingLinks() throws Exception {
        Path ws = TempWorkspace.create("abc123");
        try {
            assertThat(ws.getFileName().toString()).isEqualTo(SessionLabels.hostName(TempWorkspace.KIND, "abc123"));
            assertThat(SessionLabels.sessionOf(ws.getFileName().toString())).hasValue(SessionLabels.current());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ws))).as("no other host user may read a sandbox's workspace").isEqualTo("rwx------");
            Path outside = Files.createDirectory(tmp.resolve("outside"));
            Files.writeString(outside.resolve("keep"), "keep");
            Files.createSymbolicLink(ws.resolve("link"), outside);
            Files.writeString(Files.createDirectories(ws.resolve("d/e")).resolve("f"), "x");
            Files.createSymbolicLink(ws.resolve("d/e/up"), outside.resolve("keep"));
        } finally {
            TempWorkspace.delete(ws);
        }
        assertThat(ws).doesNotExist();
        assertThat(tmp.resolve("outside/keep")).hasContent("keep");
    }

    @Test
    void theReaperRemovesWorkspacesOfDeadJvmsOnly() throws Exception {
        Path base = TempWorkspace.baseDir();
        // pid 0 never names a JVM: this session is dead for sure
        Path dead = Files.createDirectory(base.resolve(SessionLabels.NAME_PREFIX + "ws-0-1-deadbeef--aaaaaaaaaaaa"));
        Files.writeString(dead.resolve("left"), "over");
        Path live = TempWorkspace.create("bbbbbbbbbbbb");
        try {
            assertThat(ReaperImpl.reapAll()).contains("workspace " + dead + " (session 0-1-deadbeef)");
            assertThat(dead).doesNotExist();
            assertThat(live).isDirectory();
        } finally {
            TempWorkspace.delete(live);
            TempWorkspace.delete(dead);
        }
    }
}
