package dev.sandbox4j.internal.files;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.internal.host.JvmIds;
import dev.sandbox4j.spi.HostIds;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With an owner, every entry the files API makes belongs to the sandbox's host ids, links included. */
class OwnedFilesTest {
    private static final HostIds IDS = new HostIds(1879112000, 1879112001, true);

    @TempDir
    Path ws;

    @BeforeEach
    void root() {
        Assumptions.assumeTrue(JvmIds.root(), "handing files to another uid needs a root JVM");
    }

    private static Object owner(Path p) throws Exception {
        return Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) + ":"
                + Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void writesDirectoriesTarEntriesAndLinksBelongToTheSandbox() throws Exception {
        WorkspaceFiles files = new WorkspaceFiles(ws, "/workspace", Optional.of(IDS));
        files.write("a/b/file.txt", "x".getBytes(StandardCharsets.UTF_8));
        files.mkdirs("d/e");
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(tar)) {
            TarArchiveEntry link = new TarArchiveEntry("link", TarArchiveEntry.LF_SYMLINK);
            link.setLinkName("a/b/file.txt");
            t.putArchiveEntry(link);
            t.closeArchiveEntry();
            TarArchiveEntry f = new TarArchiveEntry("t/f");
            f.setSize(1);
            t.putArchiveEntry(f);
            t.write('y');
            t.closeArchiveEntry();
        }
        files.tarIn(new ByteArrayInputStream(tar.toByteArray()), "/workspace");
        String expected = IDS.uid() + ":" + IDS.gid();
        for (String p : new String[] {"a", "a/b", "a/b/file.txt", "d", "d/e", "link", "t", "t/f"}) {
            assertThat(owner(ws.resolve(p))).as(p).isEqualTo(expected);
        }
        assertThat(owner(ws)).as("the workspace itself is not the API's to hand over").isEqualTo("0:0");
    }

    @Test
    void withoutAnOwnerTheJvmsUserKeepsWhatItMakes() throws Exception {
        new WorkspaceFiles(ws, "/workspace").write("f", new byte[] {1});
        assertThat(owner(ws.resolve("f"))).isEqualTo("0:0");
    }
}
