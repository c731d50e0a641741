package dev.sandbox4j.internal.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.FileAccessException;
import dev.sandbox4j.FileEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The files API on a host workspace: path mapping, every way out we know of, and what stays untouched. */
@EnabledOnOs({OS.LINUX, OS.MAC})
class WorkspaceFilesTest {
    @TempDir
    Path tmp;
    Path ws;
    Path outside;
    WorkspaceFiles files;

    @BeforeEach
    void setUp() throws Exception {
        ws = Files.createDirectory(tmp.resolve("ws"));
        outside = Files.createDirectory(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "host secret");
        files = new WorkspaceFiles(ws, "/workspace");
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void relativeAndAbsolutePathsMapToTheWorkspace() throws Exception {
        files.write("a/b/c.txt", b("one"));
        assertThat(ws.resolve("a/b/c.txt")).hasContent("one");
        assertThat(new String(files.read("/workspace/a/b/c.txt"), StandardCharsets.UTF_8)).isEqualTo("one");
        files.write("/workspace/top.txt", b("two"));
        assertThat(ws.resolve("top.txt")).hasContent("two");
        assertThat(files.exists("/workspace")).isTrue();
        assertThat(files.exists("/workspace/a/b")).isTrue();
        assertThat(files.exists("a/nope")).isFalse();
        assertThat(files.exists("top.txt/below")).isFalse();
        assertThat(files.list("/workspace/").stream().map(FileEntry::name)).containsExactly("a", "top.txt");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../outside/secret", "a/../../outside/secret", "/etc/passwd", "/workspacex/a", "/",
        "a//b", "./../outside/secret", "a/./../../outside/secret", "/workspace/./../outside/secret", "a/..", ""})
    void pathsThatLeaveOrAreNotNormalAreRefused(String path) {
        assertThatThrownBy(() -> files.read(path)).isInstanceOf(FileAccessException.class).hasMessageContaining("read")
                .extracting(e -> ((FileAccessException) e).reason()).isEqualTo(FileAccessException.Reason.REFUSED);
        assertThatThrownBy(() -> files.write(path, b("x"))).isInstanceOf(FileAccessException.class)
                .extracting(e -> ((FileAccessException) e).reason()).isEqualTo(FileAccessException.Reason.REFUSED);
        assertThat(outside.resolve("secret")).hasContent("host secret");
    }

    @Test
    void dotSegmentsNameTheDirectoryTheyAreIn() throws Exception {
        files.write("./a/./b.txt", b("one"));
        assertThat(ws.resolve("a/b.txt")).hasContent("one");
        assertThat(files.read("/workspace/./a/b.txt")).isEqualTo(b("one"));
        assertThat(files.list(".")).extracting(FileEntry::name).containsExactly("a");
        assertThat(files.list("./a/.")).extracting(FileEntry::name).containsExactly("b.txt");
        assertThat(files.exists(".")).isTrue();
        assertThatThrownBy(() -> files.read(".")).isInstanceOf(FileAccessException.class)
                .extracting(e -> ((FileAccessException) e).reason()).isEqualTo(FileAccessException.Reason.IS_A_DIRECTORY);
        assertThatThrownBy(() -> files.delete("./")).isInstanceOf(FileAccessException.class)
                .extracting(e -> ((FileAccessException) e).reason()).isEqualTo(FileAccessException.Reason.REFUSED);
        assertThat(ws.resolve("a/b.txt")).exists();
    }

    @Test
    void listGivesTheModificationTime() throws Exception {
        files.write("f.txt", b("x"));
        java.time.Instant t = java.time.Instant.parse("2001-02-03T04:05:06.123456789Z");
        Files.setLastModifiedTime(ws.resolve("f.txt"), java.nio.file.attribute.FileTime.from(t));
        assertThat(files.list(".")).singleElement().extracting(FileEntry::modified).isEqualTo(t);
    }

    @Test
    void refusalsNameThePathAndTheRule() {
        assertThatThrownBy(() -> files.read("a/../x")).hasMessageContaining("'a/../x'").hasMessageContaining("'..' segment");
        assertThatThrownBy(() -> files.read("/etc/passwd")).hasMessageContaining("outside the workspace /workspace");
        assertThatThrownBy(() -> files.read("a\0b")).hasMessageContaining("NUL");
        assertThatThrownBy(() -> files.read("a//b")).hasMessageContaining("empty segment");
    }

    @Test
    void aSymlinkInTheMiddleIsRefusedAndNothingOutsideIsTouched() throws Exception {
        Files.createSymbolicLink(ws.resolve("link"), outside);
        assertThatThrownBy(() -> files.read("link/secret")).isInstanceOf(FileAccessException.class)
                .hasMessageContaining("symlink was refused").hasMessageContaining("link/secret");
        assertThatThrownBy(() -> files.write("link/new", b("x"))).hasMessageContaining("symlink was refused");
        assertThatThrownBy(() -> files.write("link/deeper/new", b("x"))).hasMessageContaining("symlink was refused");
        assertThatThrownBy(() -> files.list("link")).hasMessageContaining("symlink was refused");
        assertThatThrownBy(() -> files.mkdirs("link/d")).hasMessageContaining("symlink was refused");
        assertThatThrownBy(() -> files.exists("link/secret")).hasMessageContaining("symlink was refused");
        assertThat(outside.resolve("new")).doesNotExist();
        assertThat(outside.resolve("deeper")).doesNotExist();
        assertThat(outside.resolve("d")).doesNotExist();
    }

    @Test
    void aSymlinkAtTheEndIsRefusedForReadAndWrite() throws Exception {
        Files.createSymbolicLink(ws.resolve("leaf"), outside.resolve("secret"));
        assertThatThrownBy(() -> files.read("leaf")).isInstanceOf(FileAccessException.class)
                .hasMessageContaining("symlink was refused");
        assertThatThrownBy(() -> files.write("leaf", b("overwritten"))).hasMessageContaining("symlink was refused");
        assertThat(outside.resolve("secret")).hasContent("host secret");
        assertThat(files.exists("leaf")).isTrue();
        var attrs = Files.readAttributes(ws.resolve("leaf"), java.nio.file.attribute.BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        assertThat(files.list("/workspace")).containsExactly(new FileEntry("leaf", FileEntry.Type.SYMLINK,
                attrs.size(), attrs.lastModifiedTime().toInstant()));
    }

    @Test
    void deleteRemovesSymlinksNotWhatTheyPointTo() throws Exception {
        files.write("dir/sub/file", b("x"));
        Files.createSymbolicLink(ws.resolve("dir/sub/toDir"), outside);
        Files.createSymbolicLink(ws.resolve("dir/toFile"), outside.resolve("secret"));
        files.delete("dir");
        assertThat(ws.resolve("dir")).doesNotExist();
        assertThat(outside.resolve("secret")).hasContent("host secret");
        Files.createSymbolicLink(ws.resolve("top"), outside);
        files.delete("top");
        assertThat(ws.resolve("top")).doesNotExist();
        assertThat(outside).isDirectory();
        assertThatThrownBy(() -> files.delete("/workspace")).hasMessageContaining("workspace itself");
        assertThatThrownBy(() -> files.delete("gone")).hasMessageContaining("no such file");
    }

    @Test
    void deleteCopesWithVeryDeepAndReadOnlyTrees() throws Exception {
        Path p = ws.resolve("deep");
        StringBuilder rel = new StringBuilder("deep");
        for (int i = 0; i < 3 * TreeDeleter.MAX_DEPTH; i++) {
            rel.append("/d");
        }
        files.mkdirs(rel.toString());
        files.write(rel + "/f", b("x"));
        Files.setPosixFilePermissions(ws.resolve(rel.toString()), PosixFilePermissions.fromString("r-xr-xr-x"));
        files.delete("deep");
        assertThat(p).doesNotExist();
        assertThat(Files.list(ws).toList()).isEmpty();
    }

    @Test
    void readRefusesAFileOverTheLimitNamingItsSize() throws Exception {
        files.write("big", new byte[5000]);
        assertThat(files.read("big", DataSize.ofBytes(5000))).hasSize(5000);
        assertThatThrownBy(() -> files.read("big", DataSize.ofBytes(4999))).isInstanceOf(FileAccessException.class)
                .hasMessageContaining("5000 bytes").hasMessageContaining("limit");
    }

    @Test
    void readRefusesDirectoriesAndSpecialFiles() throws Exception {
        files.mkdirs("d");
        assertThatThrownBy(() -> files.read("d")).hasMessageContaining("is a directory");
        Process p = new ProcessBuilder("mkfifo", ws.resolve("fifo").toString()).start();
        assertThat(p.waitFor()).isZero();
        assertThatThrownBy(() -> files.read("fifo")).hasMessageContaining("not a regular file");
        assertThat(files.list("/workspace").stream().filter(e -> e.name().equals("fifo")).findFirst().orElseThrow().type())
                .isEqualTo(FileEntry.Type.OTHER);
    }

    @Test
    void writeReplacesAFileAtomicallyAndKeepsItsMode() throws Exception {
        files.write("run.sh", b("#!/bin/sh\n"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ws.resolve("run.sh")))).isEqualTo("rw-r--r--");
        Files.setPosixFilePermissions(ws.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-x---"));
        files.write("run.sh", b("#!/bin/sh\necho 2\n"));
        assertThat(ws.resolve("run.sh")).hasContent("#!/bin/sh\necho 2");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ws.resolve("run.sh")))).isEqualTo("rwxr-x---");
        // a hard link to the old file is not written through: the name now points to a new file
        Path hard = Files.createLink(ws.resolve("hard"), ws.resolve("run.sh"));
        files.write("run.sh", b("three"));
        assertThat(hard).hasContent("#!/bin/sh\necho 2");
        assertThat(Files.list(ws).map(x -> x.getFileName().toString()).toList()).containsExactlyInAnyOrder("run.sh", "hard");
    }

    @Test
    void listIsSortedAndReportsTypesWithoutFollowing() throws Exception {
        files.write("b.txt", b("12345"));
        files.mkdirs("c");
        Files.createSymbolicLink(ws.resolve("a"), outside);
        List<FileEntry> l = files.list("/workspace");
        assertThat(l).extracting(FileEntry::name).containsExactly("a", "b.txt", "c");
        assertThat(l).extracting(FileEntry::type).containsExactly(FileEntry.Type.SYMLINK, FileEntry.Type.FILE,
                FileEntry.Type.DIRECTORY);
        assertThat(l.get(1).size()).isEqualTo(5);
        assertThat(l.get(2).size()).isZero();
    }

    @Test
    void newDirectoriesAreMade0755WhateverTheUmask() throws Exception {
        files.mkdirs("x/y");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ws.resolve("x/y")))).isEqualTo("rwxr-xr-x");
        assertThat(Files.list(ws).map(x -> x.getFileName().toString()).toList()).containsExactly("x");
    }

    @Test
    void aDirectorySwappedForASymlinkWhileWeWorkNeverLetsAWriteOut() throws Exception {
        Path d = Files.createDirectory(ws.resolve("d"));
        Path parked = ws.resolve("parked");
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        // the sandbox's side: swap d between a real directory and a symlink to outside, as fast as it can
        Thread swapper = new Thread(() -> {
            while (!stop.get()) {
                try {
                    Files.move(d, parked, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    Files.createSymbolicLink(d, outside);
                    Files.delete(d);
                    Files.move(parked, d, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                } catch (java.io.IOException e) {
                    // a write of ours got in between: go on swapping
                }
            }
        });
        swapper.start();
        int ok = 0;
        int refused = 0;
        try {
            for (int i = 0; i < 3000; i++) {
                try {
                    files.write("d/sub" + (i % 7) + "/f" + i, b("x"));
                    ok++;
                } catch (FileAccessException e) {
                    refused++;
                }
            }
        } finally {
            stop.set(true);
            swapper.join();
        }
        assertThat(ok + refused).isEqualTo(3000);
        try (var s = Files.list(outside)) {
            assertThat(s.map(x -> x.getFileName().toString()).toList()).containsExactly("secret");
        }
        assertThat(outside.resolve("secret")).hasContent("host secret");
    }
}
