package dev.sandbox4j.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.vm.internal.image.GuestImages;
import dev.sandbox4j.vm.internal.image.HostKernel;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SandboxImage.vm(kernel, initramfs): a user's own root file system (here: a busybox initramfs with the
 * kernel's virtio modules where the kernel keeps them) gets the agent appended and runs commands, with
 * nothing of the host's /usr in it and the workspace still shared.
 */
@Timeout(300)
class MicrovmUserImageTest {

    static void put(CpioArchiveOutputStream c, String name, long mode, byte[] content) throws Exception {
        CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name, content.length);
        e.setMode(mode);
        e.setNumberOfLinks((mode & CpioConstants.C_ISDIR) != 0 ? 2 : 1);
        c.putArchiveEntry(e);
        c.write(content);
        c.closeArchiveEntry();
    }

    @Test
    @DisplayName("a user's busybox initramfs boots with the agent appended: its own /bin, no host /usr, the workspace shared")
    void userInitramfs(@TempDir Path tmp) throws Exception {
        BackendRequirement.assumeAvailable("microvm");
        HostKernel k = HostKernel.find().orElseThrow();
        Path initramfs = tmp.resolve("user.cpio");
        try (OutputStream out = Files.newOutputStream(initramfs); CpioArchiveOutputStream c = new CpioArchiveOutputStream(out)) {
            for (String d : new String[] {"bin", "lib", "lib/modules", "lib/modules/" + k.release(), "lib/modules/" + k.release() + "/kernel"}) {
                put(c, d, CpioConstants.C_ISDIR | 0755, new byte[0]);
            }
            put(c, "bin/busybox", CpioConstants.C_ISREG | 0755, Files.readAllBytes(Path.of("/bin/busybox")));
            for (String app : new String[] {"sh", "echo", "cat", "ls", "id"}) {
                put(c, "bin/" + app, CpioConstants.C_ISLNK | 0777, "busybox".getBytes(StandardCharsets.UTF_8));
            }
            java.util.Set<String> dirs = new java.util.HashSet<>();
            for (String m : GuestImages.MODULES) {
                Path ko = k.modulesDir().resolve("kernel").resolve(m + ".ko");
                String rel = "lib/modules/" + k.release() + "/kernel/" + m + ".ko";
                String parent = rel.substring(0, rel.lastIndexOf('/'));
                for (int i = parent.indexOf('/', "lib/modules/".length() + k.release().length() + 8); i > 0; i = parent.indexOf('/', i + 1)) {
                    if (dirs.add(parent.substring(0, i))) {
                        put(c, parent.substring(0, i), CpioConstants.C_ISDIR | 0755, new byte[0]);
                    }
                }
                if (dirs.add(parent)) {
                    put(c, parent, CpioConstants.C_ISDIR | 0755, new byte[0]);
                }
                put(c, rel, CpioConstants.C_ISREG | 0644, Files.readAllBytes(ko));
            }
            put(c, "marker", CpioConstants.C_ISREG | 0644, "from the user's image\n".getBytes(StandardCharsets.UTF_8));
        }
        try (Sandbox s = Sandbox.builder().backend("microvm").image(SandboxImage.vm(k.image(), initramfs)).build()) {
            s.files().write("hello.txt", "shared\n".getBytes(StandardCharsets.UTF_8));
            ExecResult r = s.exec(Command.shell("cat /marker; test -e /usr/bin && echo host-usr || echo no-usr; cat /workspace/hello.txt; id -u"));
            assertThat(r.exitCode()).as("%s %s", r, r.stderr()).isZero();
            assertThat(r.stdout()).isEqualTo("from the user's image\nno-usr\nshared\n65534\n");
        }
    }
}
