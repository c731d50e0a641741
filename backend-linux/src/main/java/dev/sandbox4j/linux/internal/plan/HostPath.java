package dev.sandbox4j.linux.internal.plan;

import dev.sandbox4j.spi.PinnedPath;
import java.nio.file.Path;

/**
 * A host path that a plan binds, as the object it was pinned to: an executor of sandbox4j's own (the
 * launcher) resolves {@link #path()} without following any symbolic link and mounts it only when the result
 * is still {@link #device()}:{@link #inode()} ({@code st_dev}, glibc's encoding, and {@code st_ino}); it
 * never mounts a source by name. Who made the pin holds it open for the sandbox's life (so that its inode
 * cannot be reused). Immutable.
 *
 * @param path      the absolute path, without a symbolic link in it
 * @param device    st_dev of the object; -1 for a path {@linkplain #byName named only} (never pinned)
 * @param inode     st_ino of the object; -1 likewise
 * @param directory whether the object is a directory (its mount point must be one too)
 */
public record HostPath(Path path, long device, long inode, boolean directory) {
    public HostPath {
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("host path " + path + " is not absolute");
        }
    }

    /** The object {@code pin} holds. */
    public static HostPath of(PinnedPath pin) {
        return new HostPath(pin.path(), pin.device(), pin.inode(), pin.isDirectory());
    }

    /**
     * A path known by name only, for an executor that binds by name (the chroot and nspawn backends' mount
     * script, which resolve it in the host's mount namespace as root right after it was written). The
     * launchers of the namespaces and bubblewrap backends refuse it.
     */
    public static HostPath byName(Path path, boolean directory) {
        return new HostPath(path, -1, -1, directory);
    }

    /** Whether the object is known ({@link #device()} and {@link #inode()}), not just the name. */
    public boolean pinned() {
        return device != -1 || inode != -1;
    }

    /** {@code DEV:INO} as the launcher takes it. */
    public String pin() {
        if (!pinned()) {
            throw new IllegalStateException("the host path " + path + " was never pinned; sandbox4j's launchers mount"
                    + " only pinned sources (a bug: report it)");
        }
        return Long.toUnsignedString(device) + ":" + Long.toUnsignedString(inode);
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
