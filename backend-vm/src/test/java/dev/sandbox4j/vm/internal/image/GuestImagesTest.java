package dev.sandbox4j.vm.internal.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The initramfs the guest boots: what is in it, and that its cache key follows its inputs. */
class GuestImagesTest {

    static Map<String, CpioArchiveEntry> entries(Path cpio) throws Exception {
        Map<String, CpioArchiveEntry> m = new HashMap<>();
        try (InputStream in = Files.newInputStream(cpio); CpioArchiveInputStream c = new CpioArchiveInputStream(in)) {
            for (CpioArchiveEntry e; (e = c.getNextEntry()) != null; ) {
                m.put(e.getName(), e);
            }
        }
        return m;
    }

    @Test
    @DisplayName("the host image holds the agent, busybox, the virtio modules, /etc basics and the usr-merge links")
    void hostImage(@TempDir Path tmp) throws Exception {
        HostKernel k = HostKernel.find().orElse(null);
        assumeTrue(k != null && Files.isReadable(Path.of("/bin/busybox")), "needs a host kernel and busybox-static");
        GuestImages images = new GuestImages(new VmCache(tmp), Path.of("/bin/busybox"));
        GuestImage g = images.hostImage(k);
        Map<String, CpioArchiveEntry> e = entries(g.initramfs());
        assertThat(e.get("sandbox4j/agent").getMode() & 0777).isEqualTo(0755);
        assertThat(e.get("sandbox4j/agent").getSize()).isEqualTo(GuestImages.agentBinary().length);
        assertThat(e).containsKeys("sandbox4j/busybox", "sandbox4j/empty", "etc/passwd", "etc/group", "tmp", "usr", "workspace",
                "sandbox4j/modules/virtio_console.ko", "sandbox4j/modules/virtiofs.ko", "sandbox4j/modules/virtio_mmio.ko");
        assertThat(e.get("bin").isSymbolicLink()).isTrue();
        assertThat(e.get("tmp").getMode() & 07777).isEqualTo(01777);
        assertThat(e.get("sandbox4j/agent").getTime()).as("deterministic mtime").isZero();
        assertThat(g.hostRoot()).isTrue();
        assertThat(KernelExtractor.hasPvhNote(g.pvhKernel())).isTrue();

        GuestImage again = images.hostImage(k);
        assertThat(again.key()).as("same inputs, same key").isEqualTo(g.key());
        assertThat(Files.readAllBytes(again.initramfs())).isEqualTo(Files.readAllBytes(g.initramfs()));
    }

    @Test
    @DisplayName("a user's initramfs gets the agent appended as a second archive; its key follows its content")
    void userImage(@TempDir Path tmp) throws Exception {
        HostKernel k = HostKernel.find().orElse(null);
        assumeTrue(k != null && Files.isReadable(Path.of("/bin/busybox")), "needs a host kernel and busybox-static");
        Path theirs = tmp.resolve("theirs.cpio");
        Files.write(theirs, new byte[] {'x', 'y', 'z'});
        GuestImages images = new GuestImages(new VmCache(tmp.resolve("cache")), Path.of("/bin/busybox"));
        GuestImage g = images.userImage(k.image(), theirs);
        byte[] all = Files.readAllBytes(g.initramfs());
        assertThat(all).startsWith('x', 'y', 'z', 0);
        assertThat(new String(all, 4, 6)).isEqualTo("070701");
        assertThat(g.hostRoot()).isFalse();
        Files.write(theirs, new byte[] {'x', 'y', 'Z'});
        assertThat(images.userImage(k.image(), theirs).key()).isNotEqualTo(g.key());
    }
}
