package dev.sandbox4j.spi;

import dev.sandbox4j.DataSize;
import java.util.List;

/**
 * The size-limited file system that bounds what a sandbox with {@code limits.disk} stores on the host: one
 * tmpfs of that size (nosuid, nodev, under a root-only directory of the library), holding the workspace
 * and one directory per tmpfs path of the policy. A backend that claims DISK_LIMIT shows
 * {@link #tmpfsDirs()} at the tmpfs paths instead of tmpfs mounts of its own, so that all of the
 * sandbox's writable places share the one limit. Removed when the sandbox closes.
 *
 * @param limit     the policy's disk limit, the size of the file system
 * @param tmpfsDirs one directory (mode 1777) per entry of {@code policy().filesystem().tmpfs()}, in order
 */
public record SandboxStorage(DataSize limit, List<PinnedPath> tmpfsDirs) {
    public SandboxStorage {
        tmpfsDirs = List.copyOf(tmpfsDirs);
    }
}
