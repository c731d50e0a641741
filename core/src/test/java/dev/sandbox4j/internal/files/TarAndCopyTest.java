package dev.sandbox4j.internal.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.FileAccessException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** tarIn/tarOut and copyIn/copyOut: round trips, and every archive entry that tries to get out. */
@EnabledOnOs({OS.LINUX, OS.MAC})
class TarAndCopyTest {
    private static final String LONG = "a-very-long-directory-name-".repeat(6);

    @TempDir
    Path tmp;
    Path ws;
    Path outside;
    WorkspaceFiles files;

    @BeforeEach
    void setUp() throws Exception {
        ws = Files.createDirectory(tmp.resolve("ws"));
        outside = Files.createDirectory(tmp.resolve("outside"));
        files = new WorkspaceFiles(ws, "/workspace");
    }

    private void buildSampleTree() throws IOException {
        files.write("src/main.py", "print(6*7)\n".getBytes(StandardCharsets.UTF_8));
        files.write("src/" + LONG + "/deep/file-é.txt", "unicode and long".getBytes(StandardCharsets.UTF_8));
        files.write("bin/run", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(ws.resolve("bin/run"), PosixFilePermissions.fromString("rwxr-x---"));
        files.write("private", new byte[70_000]);
        Files.setPosixFilePermissions(ws.resolve("private"), PosixFilePermissions.fromString("rw-------"));
        files.mkdirs("empty");
        Files.createSymbolicLink(ws.resolve("src/link"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(ws.resolve("rel"), Path.of("src/main.py"));
    }

    @Test
    void tarRoundTripKeepsContentModesAndLinks() throws Exception {
        buildSampleTree();
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        files.tarOut("/workspace", tar);
        files.tarIn(new ByteArrayInputStream(tar.toByteArray()), "copy");
        Path c = ws.resolve("copy");
        assertThat(c.resolve("src/main.py")).hasContent("print(6*7)");
        assertThat(c.resolve("src/" + LONG + "/deep/file-é.txt")).hasContent("unicode and long");
        assertThat(Files.size(c.resolve("private"))).isEqualTo(70_000);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(c.resolve("bin/run")))).isEqualTo("rwxr-x---");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(c.resolve("private")))).isEqualTo("rw-------");
        assertThat(c.resolve("empty")).isDirectory();
        assertThat(Files.isSymbolicLink(c.resolve("src/link"))).isTrue();
        assertThat(Files.readSymbolicLink(c.resolve("src/link"))).isEqualTo(Path.of("/etc/passwd"));
        assertThat(Files.readSymbolicLink(c.resolve("rel"))).isEqualTo(Path.of("src/main.py"));
    }

    @Test
    void tarOutStoresLinksAsLinksAndNamesRelative() throws Exception {
        buildSampleTree();
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        files.tarOut("src", tar);
        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar.toByteArray()))) {
            for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
                names.add(e.getName() + (e.isSymbolicLink() ? " -> " + e.getLinkName() : ""));
            }
        }
        assertThat(names).containsExactly(LONG + "/", LONG + "/deep/", LONG + "/deep/file-é.txt", "link -> /etc/passwd",
                "main.py");
    }

    private static byte[] tarOf(TarArchiveEntry... entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (TarArchiveEntry e : entries) {
                byte[] data = e.isFile() ? "evil".getBytes(StandardCharsets.UTF_8) : new byte[0];
                if (e.isFile()) {
                    e.setSize(data.length);
                }
                out.putArchiveEntry(e);
                out.write(data);
                out.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private void assertRefused(byte[] tar, String message) {
        assertThatThrownBy(() -> files.tarIn(new ByteArrayInputStream(tar), "/workspace/dst"))
                .isInstanceOf(FileAccessException.class).hasMessageContaining(message);
        assertThat(outside.toFile().list()).isEmpty();
        assertThat(tmp.resolve("evil")).doesNotExist();
    }

    @Test
    void tarEntriesThatWouldEscapeAreRefused() throws Exception {
        assertRefused(tarOf(new TarArchiveEntry("../evil")), "'..' segment");
        assertRefused(tarOf(new TarArchiveEntry("ok/../../../evil")), "'..' segment");
        assertRefused(tarOf(new TarArchiveEntry(outside.resolve("evil").toString(), true)), "absolute name");
    }

    @Test
    void aSymlinkEntryIsNeverFollowedByALaterEntry() throws Exception {
        TarArchiveEntry link = new TarArchiveEntry("link", TarConstants.LF_SYMLINK);
        link.setLinkName(outside.toString());
        assertRefused(tarOf(link, new TarArchiveEntry("link/evil")), "symlink was refused");
        assertThat(Files.isSymbolicLink(ws.resolve("dst/link"))).isTrue();
        TarArchiveEntry leaf = new TarArchiveEntry("leaf", TarConstants.LF_SYMLINK);
        leaf.setLinkName(outside.resolve("evil").toString());
        assertRefused(tarOf(leaf, new TarArchiveEntry("leaf")), "symlink was refused");
    }

    @Test
    void hardLinksDevicesAndFifosAreRefused() throws Exception {
        TarArchiveEntry hard = new TarArchiveEntry("hard", TarConstants.LF_LINK);
        hard.setLinkName("/etc/passwd");
        assertRefused(tarOf(hard), "hard link");
        assertRefused(tarOf(new TarArchiveEntry("dev", TarConstants.LF_CHR)), "device");
        assertRefused(tarOf(new TarArchiveEntry("blk", TarConstants.LF_BLK)), "device");
        assertRefused(tarOf(new TarArchiveEntry("fifo", TarConstants.LF_FIFO)), "fifo");
    }

    @Test
    void setuidSetgidAndStickyBitsAreDropped() throws Exception {
        TarArchiveEntry suid = new TarArchiveEntry("suid");
        suid.setMode(0106755);
        TarArchiveEntry dir = new TarArchiveEntry("sticky/");
        dir.setMode(041777);
        files.tarIn(new ByteArrayInputStream(tarOf(suid, dir)), "/workspace");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ws.resolve("suid")))).isEqualTo("rwxr-xr-x");
        assertThat(Files.getAttribute(ws.resolve("suid"), "unix:mode")).isEqualTo(0100755);
        assertThat(Files.getAttribute(ws.resolve("sticky"), "unix:mode")).isEqualTo(040777);
    }

    @Test
    void aReadOnlyDirectoryInTheArchiveIsStillFilled() throws Exception {
        TarArchiveEntry dir = new TarArchiveEntry("ro/");
        dir.setMode(040555);
        files.tarIn(new ByteArrayInputStream(tarOf(dir, new TarArchiveEntry("ro/f"))), "/workspace");
        assertThat(ws.resolve("ro/f")).hasContent("evil");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ws.resolve("ro")))).isEqualTo("r-xr-xr-x");
        Files.setPosixFilePermissions(ws.resolve("ro"), PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void copyInAndOutRoundTripWithoutFollowingHostSymlinks() throws Exception {
        Path host = Files.createDirectory(tmp.resolve("host"));
        Files.writeString(Files.createDirectories(host.resolve("a/b")).resolve("f.txt"), "content");
        Files.createSymbolicLink(host.resolve("toSecret"), outside.resolve("secret"));
        Files.writeString(outside.resolve("secret"), "host secret");
        files.copyIn(host, "/workspace/in");
        assertThat(ws.resolve("in/a/b/f.txt")).hasContent("content");
        assertThat(Files.isSymbolicLink(ws.resolve("in/toSecret"))).isTrue();
        assertThat(files.exists("in/toSecret")).isTrue();

        Path back = tmp.resolve("back");
        files.copyOut("in", back);
        assertThat(back.resolve("a/b/f.txt")).hasContent("content");
        assertThat(Files.isSymbolicLink(back.resolve("toSecret"))).isTrue();
        assertThat(Files.readSymbolicLink(back.resolve("toSecret"))).isEqualTo(outside.resolve("secret"));
    }

    @Test
    void copyOutRefusesASymlinkInTheWayOnTheWorkspaceSide() throws Exception {
        Files.createSymbolicLink(ws.resolve("link"), outside);
        assertThatThrownBy(() -> files.copyOut("link", tmp.resolve("back"))).isInstanceOf(FileAccessException.class)
                .hasMessageContaining("symlink was refused");
        assertThatThrownBy(() -> files.tarOut("link", new ByteArrayOutputStream())).hasMessageContaining("symlink was refused");
        assertThat(Files.isDirectory(tmp.resolve("back"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(tmp.resolve("back").toFile().list()).isEmpty();
    }
}
