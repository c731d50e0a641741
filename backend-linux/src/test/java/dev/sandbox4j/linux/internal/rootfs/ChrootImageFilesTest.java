package dev.sandbox4j.linux.internal.rootfs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.linux.internal.host.PrivateDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Looking into a rootfs as a chrooted process would: absolute links stay inside, '..' stops at the root. */
class ChrootImageFilesTest {
    private Path root;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createTempDirectory("sandbox4j-imagefiles-");
        Files.createDirectories(root.resolve("usr/bin"));
        Path sh = Files.writeString(root.resolve("usr/bin/dash"), "#!fake");
        sh.toFile().setExecutable(true);
        Files.createSymbolicLink(root.resolve("bin"), Path.of("/usr/bin"));
        Files.createSymbolicLink(root.resolve("usr/bin/sh"), Path.of("dash"));
        Files.createSymbolicLink(root.resolve("usr/bin/escape"), Path.of("../../../../../etc/passwd"));
        Files.createSymbolicLink(root.resolve("loop"), Path.of("/loop"));
    }

    @AfterEach
    void tearDown() {
        PrivateDirs.delete(root);
    }

    @Test
    void absoluteLinksResolveInsideTheRoot() {
        assertThat(ImageFiles.resolve(root, "/bin/sh")).contains(root.resolve("usr/bin/dash"));
        assertThat(ImageFiles.executable(root, "/bin/sh")).isTrue();
    }

    @Test
    void dotDotStopsAtTheRoot() {
        // ../../../../../etc/passwd from /usr/bin is /etc/passwd of the rootfs, which does not exist: never the host's
        assertThat(ImageFiles.resolve(root, "/usr/bin/escape")).isEmpty();
        assertThat(ImageFiles.executable(root, "/usr/bin/escape")).isFalse();
    }

    @Test
    void loopsAndMissingFilesAreAbsent() {
        assertThat(ImageFiles.resolve(root, "/loop")).isEmpty();
        assertThat(ImageFiles.firstExecutable(root, java.util.List.of("/usr/bin/env", "/bin/env"))).isEmpty();
    }
}
