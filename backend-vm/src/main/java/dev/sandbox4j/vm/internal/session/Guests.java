package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.vm.internal.image.GuestImage;
import dev.sandbox4j.vm.internal.image.GuestImages;
import dev.sandbox4j.vm.internal.image.HostKernel;
import dev.sandbox4j.vm.internal.image.VmCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The guest image a spec asks for: this library's around the host kernel, or the user's own. The host
 * image is remembered per cache and kernel file (size, modification time), so that an open() after the
 * first does not read and hash the modules again. Thread-safe.
 */
final class Guests {
    private static final Map<String, GuestImage> HOST = new ConcurrentHashMap<>();

    private Guests() {
    }

    static GuestImage resolve(SandboxImage image, VmCache cache) {
        GuestImages images = new GuestImages(cache, VmHost.BUSYBOX);
        if (image instanceof SandboxImage.Vm vm) {
            for (Path p : new Path[] {vm.kernel(), vm.initramfs()}) {
                if (!Files.isRegularFile(p)) {
                    throw new SandboxStartException("image.vm: " + p + " does not exist or is not a file; give the paths of a"
                            + " kernel (bzImage or vmlinux) and an initramfs (cpio, compressed or not)");
                }
            }
            return images.userImage(vm.kernel(), vm.initramfs());
        }
        HostKernel kernel = HostKernel.find().orElseThrow(() -> new SandboxStartException(
                "no guest kernel: /boot has no vmlinuz-*; install one with apt-get install --no-install-recommends " + HostKernel.PACKAGE));
        String stamp = cache.root() + "|" + stamp(kernel.image()) + "|" + stamp(VmHost.BUSYBOX);
        GuestImage known = HOST.get(stamp);
        if (known != null && Files.isRegularFile(known.initramfs()) && Files.isRegularFile(known.pvhKernel())) {
            return known;
        }
        GuestImage built = images.hostImage(kernel);
        HOST.put(stamp, built);
        return built;
    }

    private static String stamp(Path p) {
        try {
            return p + ":" + Files.size(p) + ":" + Files.getLastModifiedTime(p).toMillis();
        } catch (java.io.IOException e) {
            return p + ":missing";
        }
    }
}
