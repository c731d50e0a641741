package dev.sandbox4j.linux.internal.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The extracted launcher: private, identical to the jar's copy, and replaced when it is not. */
class LauncherBinaryTest {
    @TempDir
    Path tmp;

    private static byte[] resource() throws IOException {
        try (InputStream in = LauncherBinary.class.getResourceAsStream(LauncherBinary.resource())) {
            assertThat(in).as("the build packs %s into the jar", LauncherBinary.resource()).isNotNull();
            return in.readAllBytes();
        }
    }

    @Test
    void extractedCopyIsPrivateAndIdenticalToTheJars() throws IOException {
        Path p = LauncherBinary.verifiedPath();
        assertThat(Files.readAllBytes(p)).isEqualTo(resource());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).isEqualTo("r-x------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p.getParent()))).isEqualTo("rwx------");
        assertThat(p.getParent().getFileName().toString()).isEqualTo("launcher-" + LauncherBinary.sha256Prefix());
    }

    @Test
    void aTamperedCopyIsReplacedBeforeUse() throws IOException {
        Path p = LauncherBinary.verifiedPath();
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        byte[] evil = "#!/bin/sh\necho pwned\n".getBytes();
        Files.write(p, evil);
        assertThat(Files.readAllBytes(p)).isEqualTo(evil);
        Path again = LauncherBinary.verifiedPath();
        assertThat(again).isEqualTo(p);
        assertThat(Files.readAllBytes(again)).as("what will be executed").isEqualTo(resource());
    }

    @Test
    void privateDirRefusesAForeignOrOpenDirectoryAndSymlinks() throws IOException {
        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> LauncherBinary.privateDir(open)).isInstanceOf(IOException.class)
                .hasMessageContaining("writable by us alone");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), open);
        assertThatThrownBy(() -> LauncherBinary.privateDir(link)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a directory (a symlink?)");
        Path made = LauncherBinary.privateDir(tmp.resolve("a/b"));
        assertThat(Files.isDirectory(made, LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(made))).isEqualTo("rwx------");
    }
}
