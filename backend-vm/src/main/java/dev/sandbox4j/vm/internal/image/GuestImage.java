package dev.sandbox4j.vm.internal.image;

import java.nio.file.Path;

/**
 * A bootable guest: kernel and initramfs, both in the cache.
 *
 * @param pvhKernel  the uncompressed ELF kernel with a PVH entry (microvm, unikernel-style boots)
 * @param bootKernel the kernel as given (a bzImage: what a q35 VM boots)
 * @param initramfs  the initramfs holding the agent ({@code /sandbox4j/agent}, the guest's init)
 * @param key        a hash of everything in kernel and initramfs: snapshots of this guest carry it
 * @param hostRoot   true: the root is this library's (the host's /usr is shared at /usr); false: the
 *                   user's initramfs is the root and only the agent was added to it
 */
public record GuestImage(Path pvhKernel, Path bootKernel, Path initramfs, String key, boolean hostRoot) {
    /** Where the agent lives in every guest; the kernel is told {@code rdinit=} this. */
    public static final String AGENT_PATH = "/sandbox4j/agent";
}
