package dev.sandbox4j.vm.internal.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sandbox4j.SandboxStartException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bzImage to PVH vmlinux extraction, on the host's real kernel and on broken files. */
class KernelExtractorTest {

    @Test
    @DisplayName("the host's Debian kernel yields an ELF vmlinux with a PVH entry note")
    void hostKernel(@TempDir Path tmp) throws Exception {
        HostKernel k = HostKernel.find().orElse(null);
        assumeTrue(k != null, "no /boot/vmlinuz-* here (install " + HostKernel.PACKAGE + ")");
        Path out = tmp.resolve("vmlinux");
        Files.write(out, KernelExtractor.vmlinux(k.image()));
        assertThat(KernelExtractor.isElf(out)).isTrue();
        assertThat(KernelExtractor.hasPvhNote(out)).isTrue();
        assertThat(Files.size(out)).isGreaterThan(Files.size(k.image()));
        assertThat(KernelExtractor.isElf(k.image())).as("the bzImage itself is no ELF").isFalse();
    }

    @Test
    @DisplayName("a file that is no kernel, and a truncated bzImage, are refused with the reason")
    void brokenFiles(@TempDir Path tmp) throws Exception {
        Path junk = tmp.resolve("junk");
        Files.write(junk, new byte[4096]);
        assertThatThrownBy(() -> KernelExtractor.vmlinux(junk)).isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("neither an ELF vmlinux nor a bzImage");
        HostKernel k = HostKernel.find().orElse(null);
        assumeTrue(k != null, "no host kernel");
        byte[] image = Files.readAllBytes(k.image());
        Path cut = tmp.resolve("cut");
        Files.write(cut, Arrays.copyOf(image, image.length / 2));
        assertThatThrownBy(() -> KernelExtractor.vmlinux(cut)).isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("outside the file");
    }

    @Test
    @DisplayName("an ELF without the PVH note is told apart")
    void elfWithoutPvh() throws Exception {
        Path busybox = Path.of("/bin/busybox");
        assumeTrue(Files.isReadable(busybox), "no /bin/busybox");
        assertThat(KernelExtractor.isElf(busybox)).isTrue();
        assertThat(KernelExtractor.hasPvhNote(busybox)).isFalse();
    }

    @Test
    @DisplayName("kernel versions sort by their numbers")
    void versions() {
        assertThat(HostKernel.compareVersions("6.1.0-56-cloud-amd64", "6.1.0-9-cloud-amd64")).isPositive();
        assertThat(HostKernel.compareVersions("5.10.0-1", "6.1.0-1")).isNegative();
    }
}
