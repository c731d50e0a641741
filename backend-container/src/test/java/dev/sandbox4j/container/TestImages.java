package dev.sandbox4j.container;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Assertions;

/**
 * The tests' own root file system, made here because no registry is reachable: the host's static busybox
 * with a symlink per applet, a two-line /etc/passwd and the usual mount points, as a tar for
 * {@link dev.sandbox4j.SandboxImage#rootfs(Path)}. Made once per machine (content is fixed by the busybox
 * binary), so the engines import it once and every test reuses the image.
 */
final class TestImages {
    static final Path BUSYBOX = Path.of("/bin/busybox");

    private TestImages() {
    }

    /** {@link #busyboxRootfs()} as an image, for a contract test's builder (its checked exceptions unchecked). */
    static dev.sandbox4j.SandboxImage busyboxImage() {
        try {
            return dev.sandbox4j.SandboxImage.rootfs(busyboxRootfs());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The busybox rootfs tarball; fails the test when the host has no static busybox (apt-get install busybox-static). */
    static synchronized Path busyboxRootfs() throws IOException, InterruptedException {
        if (!Files.isExecutable(BUSYBOX)) {
            Assertions.fail("the tests need a static busybox at " + BUSYBOX + " to make their image; fix: apt-get install"
                    + " busybox-static (.ci/engines.sh does)");
        }
        Path tar = Path.of(System.getProperty("java.io.tmpdir"), "sandbox4j-test-busybox-" + Files.size(BUSYBOX) + ".tar");
        if (Files.exists(tar)) {
            return tar;
        }
        Process p = new ProcessBuilder(BUSYBOX.toString(), "--list").redirectErrorStream(true).start();
        List<String> applets = new ArrayList<>();
        for (String a : new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            if (a.matches("[a-z0-9_.\\[-]+") && !a.equals("busybox")) {
                applets.add(a);
            }
        }
        p.waitFor();
        Path staging = Files.createTempFile(tar.getParent(), "sandbox4j-test-busybox-", ".part");
        try (OutputStream out = Files.newOutputStream(staging); TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (String d : List.of("bin", "etc", "proc", "dev", "sys", "workspace", "root", "usr", "usr/bin")) {
                dir(t, d, 0755);
            }
            dir(t, "tmp", 01777);
            TarArchiveEntry bb = new TarArchiveEntry(BUSYBOX.toFile(), "bin/busybox");
            bb.setMode(0100755);
            t.putArchiveEntry(bb);
            Files.copy(BUSYBOX, t);
            t.closeArchiveEntry();
            for (String a : applets) {
                TarArchiveEntry link = new TarArchiveEntry("bin/" + a, TarArchiveEntry.LF_SYMLINK);
                link.setLinkName("busybox");
                t.putArchiveEntry(link);
                t.closeArchiveEntry();
            }
            file(t, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
            file(t, "etc/group", "root:x:0:\nnogroup:x:65534:\n");
        }
        Files.move(staging, tar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return tar;
    }

    private static void dir(TarArchiveOutputStream t, String name, int mode) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name + "/");
        e.setMode(040000 | mode);
        t.putArchiveEntry(e);
        t.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream t, String name, String content) throws IOException {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(b.length);
        e.setMode(0100644);
        t.putArchiveEntry(e);
        t.write(b);
        t.closeArchiveEntry();
    }
}
