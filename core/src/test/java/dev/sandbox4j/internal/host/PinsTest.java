package dev.sandbox4j.internal.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** Pinning resolves without following any link, once, and tells when the path no longer leads to the pinned object. */
@EnabledOnOs(OS.LINUX)
class PinsTest {
    @TempDir
    Path dir;

    @Test
    void pinsTheObjectWithTheDeviceAndInodeStatReports() throws Exception {
        Path d = Files.createDirectories(dir.resolve("a/b"));
        try (PinnedPathImpl p = Pins.pin(d, "test path")) {
            assertThat(p.path()).isEqualTo(d);
            assertThat(p.isDirectory()).isTrue();
            assertThat(p.device()).isEqualTo(((Number) Files.getAttribute(d, "unix:dev")).longValue());
            assertThat(p.inode()).isEqualTo(((Number) Files.getAttribute(d, "unix:ino")).longValue());
            assertThat(p.procPath()).matches("/proc/" + ProcessHandle.current().pid() + "/fd/\\d+");
            assertThat(Path.of(p.procPath()).toRealPath()).isEqualTo(d.toRealPath());
            assertThat(p.stillPinned()).isTrue();
        }
    }

    @Test
    void aLinkInTheMiddleIsRefusedNamingTheLinkAndTheRealPath() throws Exception {
        Files.createDirectories(dir.resolve("real/b"));
        Files.createSymbolicLink(dir.resolve("link"), dir.resolve("real"));
        assertThatThrownBy(() -> Pins.pin(dir.resolve("link/b"), "mount host path"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("mount host path: '" + dir.resolve("link/b") + "' has a symbolic link in it")
                .hasMessageContaining(dir.resolve("link") + " is a link to " + dir.resolve("real"))
                .hasMessageContaining("give the real path (" + dir.resolve("real/b").toRealPath() + ")");
    }

    @Test
    void aLinkAsTheLastComponentIsRefused() throws Exception {
        Files.createDirectories(dir.resolve("real"));
        Files.createSymbolicLink(dir.resolve("link"), dir.resolve("real"));
        assertThatThrownBy(() -> Pins.pin(dir.resolve("link"), "workspace")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("has a symbolic link in it");
    }

    @Test
    void aMissingPathAndARelativeOneAreRefused() {
        assertThatThrownBy(() -> Pins.pin(dir.resolve("nothing"), "workspace")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> Pins.pin(Path.of("rel"), "workspace")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("is relative");
    }

    @Test
    void aSwappedPathIsNoLongerThePinnedObjectButThePinStillIs() throws Exception {
        Path d = Files.createDirectories(dir.resolve("src"));
        Files.writeString(d.resolve("marker"), "pinned");
        try (PinnedPathImpl p = Pins.pin(d, "test path")) {
            Files.move(d, dir.resolve("moved"));
            Files.createSymbolicLink(d, Path.of("/etc"));
            assertThat(p.stillPinned()).isFalse();
            Files.delete(d);
            Files.createDirectory(d);
            assertThat(p.stillPinned()).as("a new directory at the same path").isFalse();
            // the descriptor still leads to the object pinned, wherever it went
            assertThat(Files.readString(Path.of(p.procPath()).resolve("marker"))).isEqualTo("pinned");
        }
    }

    @Test
    void aChildIsResolvedBeneathThePinnedDirectoryWhateverHappenedToItsPath() throws Exception {
        Path d = Files.createDirectories(dir.resolve("img/usr"));
        Files.writeString(d.resolve("marker"), "image");
        Files.createSymbolicLink(dir.resolve("img/link"), Path.of("/etc"));
        try (PinnedPathImpl img = Pins.pin(dir.resolve("img"), "image directory")) {
            Files.move(dir.resolve("img"), dir.resolve("img-moved"));
            Files.createDirectories(dir.resolve("img/usr"));
            try (dev.sandbox4j.spi.PinnedPath usr = img.child("usr")) {
                assertThat(usr.path()).isEqualTo(dir.resolve("img/usr"));
                assertThat(Files.readString(Path.of(usr.procPath()).resolve("marker"))).isEqualTo("image");
            }
            assertThatThrownBy(() -> img.child("link")).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("has a symbolic link in it");
            assertThatThrownBy(() -> img.child("usr/x")).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("is not one entry name");
            assertThatThrownBy(() -> img.child("..")).isInstanceOf(InvalidInputException.class);
        }
    }
}
