package dev.sandbox4j.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.FileAccessException;
import dev.sandbox4j.FileEntry;
import dev.sandbox4j.SandboxFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Contract rules of the files API: what it writes the command sees and the other way round, listing,
 * deleting, tar and copy round trips, and that no path, symlink or tar entry reaches outside the
 * workspace. Not meant to be extended directly: extend {@link SandboxContractTest}.
 */
public abstract class FilesContract extends ExecContract {

    @Test
    @DisplayName("files().write is seen by a command inside (parents created, bytes exact)")
    void writeThenCatInside() {
        byte[] content = new byte[70_000];
        new Random(3).nextBytes(content);
        String path = "w-" + unique() + "/deep/er/file.bin";
        sandbox().files().write(path, content);
        ExecResult r = assertSucceeded(sandbox().exec(Command.of("cat", path).maxOutput(DataSize.ofMiB(1))));
        assertThat(ExecContract.digest(r.stdoutBytes())).isEqualTo(ExecContract.digest(content));
        String abs = sandbox().workspacePath() + "/" + path;
        assertThat(sandbox().files().read(abs)).as("absolute path under the workspace").isEqualTo(content);
    }

    @Test
    @DisplayName("a file a command writes inside is read back by files().read; exists() follows it")
    void writeInsideThenRead() {
        String name = "inside-" + unique() + ".txt";
        SandboxFiles files = sandbox().files();
        assertThat(files.exists(name)).isFalse();
        assertSucceeded(sh("printf 'made inside\\n' > " + name));
        assertThat(files.exists(name)).isTrue();
        assertThat(new String(files.read(name), UTF_8)).isEqualTo("made inside\n");
    }

    @Test
    @DisplayName("read() refuses a missing file and a file above its limit, naming the size")
    void readFailures() {
        SandboxFiles files = sandbox().files();
        String missing = "missing-" + unique();
        assertThatThrownBy(() -> files.read(missing)).isInstanceOf(FileAccessException.class).hasMessageContaining(missing);
        String big = "big-" + unique();
        files.write(big, new byte[100]);
        assertThatThrownBy(() -> files.read(big, DataSize.ofBytes(10))).isInstanceOf(FileAccessException.class)
                .hasMessageContaining("100");
        assertThat(files.read(big, DataSize.ofBytes(100))).hasSize(100);
    }

    @Test
    @DisplayName("list() returns name, type and size sorted by name; symlinks are reported, not followed")
    void listDirectory() {
        String dir = "list-" + unique();
        SandboxFiles files = sandbox().files();
        files.write(dir + "/b.txt", "abc".getBytes(UTF_8));
        files.mkdirs(dir + "/a-sub");
        requireTool(sandbox(), "ln", "list() reports symlinks");
        assertSucceeded(sh("ln -s b.txt " + dir + "/c-link"));
        var entries = files.list(dir);
        assertThat(entries).extracting(FileEntry::name).containsExactly("a-sub", "b.txt", "c-link");
        assertThat(entries).extracting(FileEntry::type)
                .containsExactly(FileEntry.Type.DIRECTORY, FileEntry.Type.FILE, FileEntry.Type.SYMLINK);
        assertThat(entries.get(1).size()).isEqualTo(3);
        assertThat(entries.get(0).size()).isZero();
    }

    @Test
    @DisplayName("mkdirs() makes a tree the command sees; delete() removes files and whole trees")
    void mkdirsAndDelete() {
        String dir = "tree-" + unique();
        SandboxFiles files = sandbox().files();
        files.mkdirs(dir + "/x/y/z");
        assertSucceeded(sh("test -d " + dir + "/x/y/z"));
        files.write(dir + "/x/y/f.txt", "f".getBytes(UTF_8));
        files.delete(dir + "/x/y/f.txt");
        assertThat(files.exists(dir + "/x/y/f.txt")).isFalse();
        assertThat(files.exists(dir + "/x/y/z")).isTrue();
        files.delete(dir);
        assertThat(files.exists(dir)).isFalse();
        assertThat(sh("test -e " + dir).exitCode()).as("the command still sees the deleted tree").isEqualTo(1);
    }

    @Test
    @DisplayName("tarOut then tarIn round-trips a tree; symlinks are stored as links, never followed")
    void tarRoundTrip() throws IOException {
        String src = "tar-src-" + unique();
        SandboxFiles files = sandbox().files();
        files.write(src + "/top.txt", "top".getBytes(UTF_8));
        files.write(src + "/a/b/deep.bin", new byte[] {0, 1, 2, (byte) 255});
        requireTool(sandbox(), "ln", "tarOut stores symlinks as links");
        assertSucceeded(sh("ln -s /etc/passwd " + src + "/pw-link"));

        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        files.tarOut(src, tar);
        Map<String, TarArchiveEntry> entries = new TreeMap<>();
        Map<String, byte[]> contents = new TreeMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar.toByteArray()))) {
            for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                String name = e.getName().replaceFirst("^\\./", "").replaceFirst("/$", "");
                entries.put(name, e);
                if (!e.isDirectory() && !e.isSymbolicLink() && !e.isLink()) {
                    contents.put(name, in.readAllBytes());
                }
            }
        }
        assertThat(entries).containsKeys("top.txt", "a/b/deep.bin", "pw-link");
        assertThat(entries.get("pw-link").isSymbolicLink()).as("the link is stored as a link").isTrue();
        assertThat(entries.get("pw-link").getLinkName()).isEqualTo("/etc/passwd");
        assertThat(entries.get("pw-link").getSize()).as("no content of the link's target is stored").isZero();
        assertThat(contents.get("top.txt")).isEqualTo("top".getBytes(UTF_8));
        assertThat(contents.get("a/b/deep.bin")).isEqualTo(new byte[] {0, 1, 2, (byte) 255});

        String dst = "tar-dst-" + unique();
        files.tarIn(new ByteArrayInputStream(tar.toByteArray()), dst);
        assertThat(new String(assertSucceeded(sandbox().exec(Command.of("cat", dst + "/top.txt"))).stdoutBytes(), UTF_8))
                .isEqualTo("top");
        assertThat(files.read(dst + "/a/b/deep.bin")).isEqualTo(new byte[] {0, 1, 2, (byte) 255});
        assertThat(assertSucceeded(sh("readlink " + dst + "/pw-link")).stdout().strip()).isEqualTo("/etc/passwd");
    }

    @Test
    @DisplayName("copyIn then copyOut round-trips a host directory")
    void copyInAndOut() throws IOException {
        Path hostIn = Files.createTempDirectory("sandbox4j-contract-in-");
        Path hostOut = Files.createTempDirectory("sandbox4j-contract-out-").resolve("made-by-copyOut");
        try {
            Files.writeString(hostIn.resolve("one.txt"), "one");
            Files.createDirectories(hostIn.resolve("sub/dir"));
            Files.write(hostIn.resolve("sub/dir/two.bin"), new byte[] {9, 8, 7});
            String dir = "copied-" + unique();
            sandbox().files().copyIn(hostIn, dir);
            assertThat(assertSucceeded(sandbox().exec(Command.of("cat", dir + "/one.txt"))).stdout()).isEqualTo("one");
            assertSucceeded(sh("printf made > " + dir + "/sub/made-inside.txt"));
            sandbox().files().copyOut(dir, hostOut);
            assertThat(Files.readString(hostOut.resolve("one.txt"))).isEqualTo("one");
            assertThat(Files.readAllBytes(hostOut.resolve("sub/dir/two.bin"))).isEqualTo(new byte[] {9, 8, 7});
            assertThat(Files.readString(hostOut.resolve("sub/made-inside.txt"))).isEqualTo("made");
        } finally {
            HostProbes.deleteTree(hostIn);
            HostProbes.deleteTree(hostOut.getParent());
        }
    }

    @Test
    @DisplayName("paths with '..', outside the workspace or with NUL are refused with FileAccessException, nothing written")
    void pathEscapesRefused() throws IOException {
        SandboxFiles files = sandbox().files();
        String name = "sandbox4j-escape-" + unique();
        byte[] x = "x".getBytes(UTF_8);
        try {
            assertPathEscapesRefused(files, name, x);
        } finally {
            Files.deleteIfExists(Path.of("/etc", name));
        }
    }

    private void assertPathEscapesRefused(SandboxFiles files, String name, byte[] x) {
        assertThatThrownBy(() -> files.write("../" + name, x)).isInstanceOf(FileAccessException.class);
        assertThatThrownBy(() -> files.write("sub/../../" + name, x)).isInstanceOf(FileAccessException.class);
        assertThatThrownBy(() -> files.read("../" + name)).isInstanceOf(FileAccessException.class);
        assertThatThrownBy(() -> files.read("/etc/passwd")).isInstanceOf(FileAccessException.class);
        assertThatThrownBy(() -> files.write("/etc/" + name, x)).isInstanceOf(FileAccessException.class);
        assertThatThrownBy(() -> files.list("/etc")).isInstanceOf(FileAccessException.class);
        assertThatThrownBy(() -> files.delete("/etc/" + name)).isInstanceOf(FileAccessException.class);
        assertThatThrownBy(() -> files.write("nul\0" + name, x)).isInstanceOf(FileAccessException.class);
        assertThatThrownBy(() -> files.read("nul\0" + name)).isInstanceOf(FileAccessException.class);
        assertThat(sh("test -e ../" + name + " || test -e /etc/" + name).exitCode())
                .as("a refused write created a file after all").isEqualTo(1);
        assertThat(Files.exists(Path.of("/etc", name))).isFalse();
    }

    @Test
    @DisplayName("a symlink the command made (ln -s /etc link) cannot carry files() out of the workspace")
    void symlinkEscapesRefused() throws IOException {
        requireTool(sandbox(), "ln", "symlinks cannot carry files() out");
        SandboxFiles files = sandbox().files();
        String dir = "links-" + unique();
        files.mkdirs(dir);
        Path canary = Files.createTempDirectory("sandbox4j-contract-canary-");
        String name = "sandbox4j-escape-" + unique();
        try {
            Files.writeString(canary.resolve("keep.txt"), "keep");
            assertSucceeded(sh("cd " + dir + " && ln -s /etc link && ln -s /etc/passwd pw && ln -s " + canary + " canary"));
            assertThatThrownBy(() -> files.read(dir + "/link/passwd")).isInstanceOf(FileAccessException.class);
            assertThatThrownBy(() -> files.read(dir + "/pw")).isInstanceOf(FileAccessException.class);
            assertThatThrownBy(() -> files.write(dir + "/link/" + name, "x".getBytes(UTF_8)))
                    .isInstanceOf(FileAccessException.class);
            assertThatThrownBy(() -> files.list(dir + "/link")).isInstanceOf(FileAccessException.class);
            assertThatThrownBy(() -> files.read(dir + "/canary/keep.txt")).isInstanceOf(FileAccessException.class);
            assertThat(Files.exists(Path.of("/etc", name))).as("files().write went through the link to the host's /etc")
                    .isFalse();
            assertThat(sh("test -e /etc/" + name).exitCode()).as("files().write went through the link").isEqualTo(1);
            files.delete(dir);
            assertThat(files.exists(dir)).isFalse();
            assertThat(Files.readString(canary.resolve("keep.txt"))).as("delete() followed a link").isEqualTo("keep");
            assertThat(Files.exists(Path.of("/etc/passwd"))).as("delete() followed a link").isTrue();
        } finally {
            Files.deleteIfExists(Path.of("/etc", name));
            HostProbes.deleteTree(canary);
        }
    }

    @Test
    @DisplayName("tarIn refuses entries that escape ('../x', a symlink entry then a file through it)")
    void tarInEscapesRefused() throws IOException {
        SandboxFiles files = sandbox().files();
        String name = "tar-escape-" + unique();
        String dir = "tar-in-" + unique();
        files.mkdirs(dir);
        assertThatThrownBy(() -> files.tarIn(new ByteArrayInputStream(tar(Map.of("../" + name, "x"), Map.of())), dir))
                .isInstanceOf(FileAccessException.class);
        assertThat(files.exists(name)).as("'../" + name + "' was unpacked next to the target").isFalse();

        Path canary = Files.createTempDirectory("sandbox4j-contract-canary-");
        try {
            byte[] t = tar(Map.of("evil/pwned", "pwned"), Map.of("evil", canary.toString()));
            assertThatThrownBy(() -> files.tarIn(new ByteArrayInputStream(t), dir)).isInstanceOf(FileAccessException.class);
            assertThat(Files.exists(canary.resolve("pwned"))).as("tarIn wrote through a symlink entry to the host")
                    .isFalse();
        } finally {
            HostProbes.deleteTree(canary);
        }
    }

    /** A tar with the symlinks first, then the files; names as given. */
    private static byte[] tar(Map<String, String> files, Map<String, String> symlinks) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (var l : symlinks.entrySet()) {
                TarArchiveEntry e = new TarArchiveEntry(l.getKey(), TarConstants.LF_SYMLINK);
                e.setLinkName(l.getValue());
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
            }
            for (var f : files.entrySet()) {
                byte[] b = f.getValue().getBytes(UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(f.getKey(), true);
                e.setSize(b.length);
                tar.putArchiveEntry(e);
                tar.write(b);
                tar.closeArchiveEntry();
            }
        }
        return out.toByteArray();
    }
}
