package dev.sandbox4j;

import dev.sandbox4j.internal.Validate;
import java.nio.file.Path;

/**
 * What the sandbox's root file system is made of. Immutable and thread-safe. Not every backend takes
 * every kind; {@code build()} names the backends that do.
 */
public sealed interface SandboxImage {

    /** The host's system directories (/usr, /bin, /lib, /lib64, /sbin, /etc's basics), read-only. The default. */
    static SandboxImage host() {
        return new Host();
    }

    /** A container image by reference ({@code python:3.12}); used from the engine's local store, pulled when missing. */
    static SandboxImage oci(String reference) {
        return new Oci(reference);
    }

    /** A root file system in a host directory, used read-only. */
    static SandboxImage directory(Path rootfs) {
        return new Directory(rootfs);
    }

    /** A root file system in a tar archive, imported. */
    static SandboxImage rootfs(Path tarball) {
        return new Rootfs(tarball);
    }

    /** A guest kernel and initramfs for the VM backends. */
    static SandboxImage vm(Path kernel, Path initramfs) {
        return new Vm(kernel, initramfs);
    }

    record Host() implements SandboxImage {
    }

    record Oci(String reference) implements SandboxImage {
        public Oci {
            Validate.noNul("image.oci", reference);
            if (reference.isBlank() || reference.chars().anyMatch(Character::isWhitespace)) {
                throw new InvalidInputException("image.oci: '" + reference + "' is not an image reference (e.g. python:3.12)");
            }
        }
    }

    record Directory(Path rootfs) implements SandboxImage {
        public Directory {
            rootfs = Validate.hostPath("image.directory", rootfs);
        }
    }

    record Rootfs(Path tarball) implements SandboxImage {
        public Rootfs {
            tarball = Validate.hostPath("image.rootfs", tarball);
        }
    }

    record Vm(Path kernel, Path initramfs) implements SandboxImage {
        public Vm {
            kernel = Validate.hostPath("image.vm kernel", kernel);
            initramfs = Validate.hostPath("image.vm initramfs", initramfs);
        }
    }
}
