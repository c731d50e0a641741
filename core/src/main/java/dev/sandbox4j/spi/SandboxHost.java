package dev.sandbox4j.spi;

import dev.sandbox4j.Mount;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What the core prepared on the host for one sandbox before its backend opens it, and releases after the
 * backend closed it: the sandbox's host ids, every host path of the policy pinned, and the disk storage.
 *
 * @param ids       the host uid and gid of the sandbox's user
 * @param workspace the workspace directory
 * @param mounts    the policy's mounts' host paths, in the order of {@code policy().filesystem().mounts()}
 * @param rootfs    the root file system of {@code SandboxImage.directory(...)}, when that is the image
 * @param storage   the disk storage, when the policy has {@code limits.disk}
 * @param pinner    pins the backend's own host paths for this sandbox ({@link #pin})
 */
public record SandboxHost(HostIds ids, PinnedPath workspace, List<PinnedPath> mounts, Optional<PinnedPath> rootfs,
                          Optional<SandboxStorage> storage, Pinner pinner) {
    public SandboxHost {
        mounts = List.copyOf(mounts);
    }

    /** Pins host paths for one sandbox. */
    @FunctionalInterface
    public interface Pinner {
        PinnedPath pin(Path path, String what);
    }

    /**
     * Pins a host path of the backend's own (an image directory, a binary or a generated file it binds) for
     * this sandbox, like the policy's: resolved now without following a link, and, with a root JVM, staged for
     * an engine as a private nosuid, nodev bind ({@link PinnedPath#engineSource}). The core releases it when
     * the sandbox closes; the backend may close it earlier.
     *
     * @throws dev.sandbox4j.InvalidInputException when the path is missing or has a symbolic link in it
     */
    public PinnedPath pin(Path path, String what) {
        return pinner.pin(path, what);
    }

    /**
     * The pinned host path of {@code mount}, one of the policy's mounts.
     *
     * @throws IllegalArgumentException when it is not one of them
     */
    public PinnedPath mount(List<Mount> policyMounts, Mount mount) {
        int i = policyMounts.indexOf(mount);
        if (i < 0 || i >= mounts.size()) {
            throw new IllegalArgumentException("mount " + mount + " is not one of the policy's mounts " + policyMounts);
        }
        return mounts.get(i);
    }
}
